/**
 * Another perf-bridge process, driven from a test: starts probe-owner-child.js and sends it
 * commands (open a session on probes, start, drain the event counts, close, park).
 *
 * Every wait is bounded and watches the kernel's taint flag: a test that makes the kernel oops
 * fails at once, instead of hanging on a child stuck in tracefs (see kernel-log.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { kernelHasOopsed } from './kernel-log.js';
import type { OwnerCommand, OwnerError } from './owner-protocol.js';

/** The result of opening or closing a session in the owner. */
export type OwnerOutcome = { ok: true } | { ok: false; error: OwnerError };

/** The outcome of an open at a barrier, with when openSession began and returned (CLOCK_MONOTONIC ns). */
export type BarrierOutcome = OwnerOutcome & { window: [bigint, bigint] };

/** How the owner process ended. */
export interface OwnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Limit for one answer: the emulated CPUs of the kernel VMs are slow, a healthy answer takes < 2 s. */
const ANSWER_TIMEOUT_MS = 30_000;
/**
 * Limit for an owner's start-up: node and the library's modules read over 9p by an emulated CPU,
 * while the other guest and prestarted owners compete for the host; one took over 30 s in a 6.1
 * guest running at half its usual speed.
 */
const START_UP_TIMEOUT_MS = 90_000;
const OOPS_POLL_MS = 200;
const CHILD_SCRIPT = fileURLToPath(new URL('./probe-owner-child.js', import.meta.url));

type Message = Record<string, unknown>;

/** A perf-bridge process of its own, holding at most one session. */
export class ProbeOwner {
  readonly pid: number;
  private readonly inbox: Message[] = [];
  private readonly waiting: ((message: Message) => void)[] = [];
  private readonly ended: Promise<OwnerExit>;
  private exit: OwnerExit | undefined;
  private stderr = '';
  /** Why the owner cannot be talked to any more (an answer timed out, the kernel oopsed). */
  private broken: string | undefined;
  private detached = false;

  private constructor(private readonly child: ChildProcess) {
    this.pid = child.pid!;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: Message;
      try {
        message = JSON.parse(line) as Message;
      } catch {
        this.stderr += `(stdout) ${line}\n`;
        return;
      }
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.inbox.push(message);
    });
    this.ended = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  /** True while the owner takes commands: not parked, stuck, broken or ended. */
  get isUsable(): boolean {
    return !this.detached && this.exit === undefined && this.broken === undefined;
  }

  /** Starts an owner process and waits until it is ready for commands. */
  static async start(): Promise<ProbeOwner> {
    // stderr is piped, not inherited: a parked owner must not hold the test runner's pipes open.
    const child = spawn(process.execPath, [CHILD_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const owner = new ProbeOwner(child);
    await owner.answer('start-up', START_UP_TIMEOUT_MS);
    return owner;
  }

  /** Opens a session on `probes` (label → definition text) in the owner. */
  async open(probes: Record<string, string>): Promise<OwnerOutcome> {
    this.send({ op: 'open', probes });
    return (await this.answer('open')) as OwnerOutcome;
  }

  /**
   * Opens a session at a barrier: the owner reports `armed`, then spins until the file `barrier`
   * exists and calls openSession right away. Create the file once every racer is armed.
   */
  openAtBarrier(
    probes: Record<string, string>,
    barrier: string,
  ): { armed: Promise<void>; outcome: Promise<BarrierOutcome> } {
    this.send({ op: 'open', probes, barrier });
    const armed = this.answer('arming').then(() => undefined);
    // Answers arrive in order: the outcome is the one after "armed".
    const outcome = armed.then(async (): Promise<BarrierOutcome> => {
      const { window, ...rest } = (await this.answer('open at the barrier')) as OwnerOutcome & { window: string[] };
      return { ...rest, window: [BigInt(window[0]!), BigInt(window[1]!)] };
    });
    outcome.catch(() => {
      // Handled here too: a caller that saw `armed` fail need not await this as well.
    });
    return { armed, outcome };
  }

  /** Enables the session's events. */
  async start(): Promise<void> {
    this.send({ op: 'start' });
    this.succeeded('start', await this.answer('start'));
  }

  /** Stops the session and returns how many events it delivered per label and pid since the last drain. */
  async drain(): Promise<Record<string, Record<number, number>>> {
    this.send({ op: 'drain' });
    const answer = this.succeeded('drain', await this.answer('drain'));
    return answer.counts as Record<string, Record<number, number>>;
  }

  /** Closes the session (removing its probes). */
  async close(): Promise<OwnerOutcome> {
    this.send({ op: 'close' });
    return (await this.answer('close')) as OwnerOutcome;
  }

  /**
   * Leaves the owner running with its session open until the VM powers off, and lets go of it.
   * For two owners the kernel put on one event: closing either can oops the kernel (issue 8).
   */
  async park(): Promise<void> {
    this.send({ op: 'park' });
    await this.answer('park');
    this.detach();
  }

  /** Sends `signal` and waits for the owner to end. */
  async kill(signal: NodeJS.Signals): Promise<OwnerExit> {
    this.child.kill(signal);
    return this.bounded(`exit after ${signal}`, this.ended);
  }

  /**
   * Ends the owner the ordinary way (stdin closes, it exits, its exit handler removes its probes)
   * and waits for it. Does nothing for a parked owner; one that does not end in time is let go.
   */
  async end(): Promise<OwnerExit | undefined> {
    if (this.detached || this.exit) return this.exit;
    if (this.broken !== undefined || kernelHasOopsed()) {
      // Most likely stuck in the kernel: waiting would only add the timeout to the failure.
      this.detach();
      return undefined;
    }
    this.child.stdin!.end();
    try {
      return await this.bounded('exit', this.ended);
    } catch {
      this.detach(); // stuck in the kernel (D state): nothing more can be done for it from here
      return undefined;
    }
  }

  private send(command: OwnerCommand): void {
    if (this.broken) throw new Error(`owner ${this.pid} cannot take commands: ${this.broken}`);
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  private answer(what: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Message> {
    const queued = this.inbox.shift();
    const next = queued ? Promise.resolve(queued) : new Promise<Message>((resolve) => this.waiting.push(resolve));
    const ended = this.ended.then((exit): Message => {
      const status = exit.code ?? exit.signal;
      throw new Error(`owner ${this.pid} exited (${status}) before answering ${what}${this.stderrNote()}`);
    });
    return this.bounded(what, Promise.race([next, ended]), timeoutMs);
  }

  /** Returns `answer`, or throws what went wrong in the owner when it reports a failure. */
  private succeeded(what: string, answer: Message): Message {
    if (answer.ok === true) return answer;
    const error = answer.error as OwnerError | undefined;
    const reason = error ? `${error.name}: ${error.message}` : 'no reason given';
    throw new Error(`owner ${this.pid}: ${what} failed: ${reason}`);
  }

  /** `pending`, or an error when it takes too long or the kernel oopses meanwhile. */
  private async bounded<T>(what: string, pending: Promise<T>, timeoutMs = ANSWER_TIMEOUT_MS): Promise<T> {
    const oopsedBefore = kernelHasOopsed();
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      const fail = (reason: string) => {
        this.broken = reason;
        reject(new Error(`owner ${this.pid}: ${reason}${this.stderrNote()}`));
      };
      timer = setTimeout(() => {
        fail(`no ${what} within ${timeoutMs} ms`);
      }, timeoutMs);
      poll = setInterval(() => {
        if (!oopsedBefore && kernelHasOopsed()) fail(`the kernel oopsed while waiting for ${what}`);
      }, OOPS_POLL_MS);
    });
    try {
      return await Promise.race([pending, watchdog]);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
    }
  }

  /** Stops holding the process: this test can end while it lives on (parked, or stuck in the kernel). */
  private detach(): void {
    this.detached = true;
    this.child.stdin!.destroy();
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    this.child.unref();
  }

  private stderrNote(): string {
    const text = this.stderr.trim();
    return text ? `; its stderr: ${text}` : '';
  }
}
