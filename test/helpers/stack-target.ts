/** The stack fixture (test/fixtures/programs/stack_target.c): main → outer → inner → probe_me. */
import { buildProgram } from './programs.js';

/** The fixture, built as its comment says (frame pointers, nothing inlined, no PLT). */
export function stackTarget(): string {
  return buildProgram('test/fixtures/programs/stack_target.c', [
    '-O0',
    '-fno-omit-frame-pointer',
    '-fno-inline',
    '-fno-plt',
  ]);
}

/** The fixture calling probe_me `calls` times, as a command that does not wait on stdin nor print. */
export function stackTargetCommand(calls: number): string[] {
  return ['sh', '-c', 'exec "$0" "$1" < /dev/null > /dev/null', stackTarget(), String(calls)];
}
