/**
 * Call stacks as text: a frame's name, a folded stack (`outer;…;inner`, the input of
 * flamegraph.pl, inferno and speedscope), the frame lines `perf script` prints under an event, and
 * JSON. Each is computed once per interned stack (stacks repeat) and kept beside it.
 */
import type { StackFrame } from './frame.js';
import type { CallStack } from './stack-table.js';

/** `ip` as 16 hex digits, as perf prints addresses. */
export function hexAddress(ip: bigint): string {
  return ip.toString(16).padStart(16, '0');
}

/**
 * A frame's name: its symbol, else `module+0xoffset`, else its address. Folded stacks and
 * `--count-by stack` show frames so (without offsets, so one function is one name).
 */
export function frameName(frame: StackFrame): string {
  if (frame.symbol !== undefined) return frame.symbol;
  if (frame.module !== undefined && frame.offset !== undefined) return `${frame.module}+0x${frame.offset.toString(16)}`;
  return `0x${frame.ip.toString(16)}`;
}

/** A frame as `perf script` prints it: `symbol+0xoffset (module)`, `[unknown]` for no symbol. */
export function frameLine(frame: StackFrame): string {
  const where = frame.symbol === undefined ? '[unknown]' : `${frame.symbol}+0x${(frame.offset ?? 0).toString(16)}`;
  return `${hexAddress(frame.ip)} ${where} (${frame.module ?? 'unknown'})`;
}

const folded = new WeakMap<CallStack, string>();

/** The stack folded: frame names outermost first, joined by `;` (a `;` inside a name becomes `:`). */
export function foldedStack(stack: CallStack): string {
  let text = folded.get(stack);
  if (text === undefined) {
    const names: string[] = [];
    for (let i = stack.length - 1; i >= 0; i--) names.push(frameName(stack[i]!).replaceAll(';', ':'));
    text = names.join(';');
    folded.set(stack, text);
  }
  return text;
}

/** The stack as the JSON array of its frames: ip as a `0x…` string (64 bits), then what is known. */
export function stackJson(stack: CallStack): string {
  return JSON.stringify(stack.map(frameJson));
}

function frameJson(frame: StackFrame): Record<string, string | number> {
  const json: Record<string, string | number> = { ip: `0x${frame.ip.toString(16)}` };
  if (frame.symbol !== undefined) json.symbol = frame.symbol;
  if (frame.offset !== undefined) json.offset = frame.offset;
  if (frame.module !== undefined) json.module = frame.module;
  return json;
}
