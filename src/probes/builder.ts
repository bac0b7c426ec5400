/**
 * A typed builder for probe definitions. Each step returns a new immutable
 * builder that *is* a {@link ProbeDefinition} (so print(), validate() and
 * perf-bridge take it directly) and whose type records the event's fields:
 *
 * ```ts
 * const def = kprobe('do_sys_openat2')
 *   .arg('filename', deref(reg('si')).as('string'))
 *   .arg('flags', reg('dx').as('x32'));
 * // FieldsOf<typeof def> is { filename: string; flags: number }
 * ```
 *
 * Arguments are checked as they are added (so a bad one fails at its own
 * line); build() checks the whole definition and returns a plain copy.
 */
import {
  fieldsBrand,
  plainDefinition,
  type AnyProbeDefinition,
  type FieldValue,
  type ProbeArg,
  type ProbeDefinition,
  type ProbeKind,
  type ProbeLocation,
  type Simplify,
} from './definition.js';
import { Fetch } from './fetch.js';
import { ProbeDefinitionError } from './errors.js';
import { checkName } from './names.js';
import { checkFilter, validate } from './validate.js';
import { validateArg } from './validate-arg.js';

type Inc<C extends readonly unknown[]> = [...C, unknown];
type WithField<F, N extends string, T> = Simplify<F & Readonly<Record<N, T>>>;
/** The kernel's name for the next unnamed argument: `arg<position>`. */
type NextArgName<C extends readonly unknown[]> = `arg${Inc<C>['length'] & number}`;

/**
 * An immutable probe definition under construction. `F` is the fields type
 * so far; `C` counts the arguments (to name unnamed ones like the kernel).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- {} is the empty field record FieldsOf shows
export class ProbeBuilder<F extends object = {}, C extends readonly unknown[] = []> implements ProbeDefinition<F> {
  declare readonly [fieldsBrand]?: F;
  readonly kind: ProbeKind;
  readonly isReturn: boolean;
  readonly returnSyntax?: 'prefix' | 'suffix';
  readonly maxactive?: number;
  readonly groupName?: string;
  readonly eventName?: string;
  readonly location: ProbeLocation;
  readonly args: readonly ProbeArg[];
  readonly filterExpression?: string;

  /** Starts from an existing definition (its field types are not known, so F is `{}`). */
  constructor(def: AnyProbeDefinition) {
    const plain = plainDefinition(def);
    this.kind = plain.kind;
    this.isReturn = plain.isReturn;
    if (plain.returnSyntax !== undefined) this.returnSyntax = plain.returnSyntax;
    if (plain.maxactive !== undefined) this.maxactive = plain.maxactive;
    if (plain.groupName !== undefined) this.groupName = plain.groupName;
    if (plain.eventName !== undefined) this.eventName = plain.eventName;
    this.location = plain.location;
    this.args = plain.args;
    if (plain.filterExpression !== undefined) this.filterExpression = plain.filterExpression;
    Object.freeze(this);
  }

  private with<G extends object, D extends readonly unknown[]>(
    changes: Partial<AnyProbeDefinition>,
  ): ProbeBuilder<G, D> {
    return new ProbeBuilder<G, D>({ ...plainDefinition(this), ...changes });
  }

  /** Sets the event group (default: the caller's owner group, else the kernel's). */
  group(name: string): ProbeBuilder<F, C> {
    checkName(name, 'group');
    return this.with({ groupName: name });
  }

  /** Sets the event name (default: the name the kernel would generate). */
  event(name: string): ProbeBuilder<F, C> {
    checkName(name, 'event');
    return this.with({ eventName: name });
  }

  /**
   * Keeps only the events for which `expression`, a tracefs filter over the event's fields, holds
   * (`.filter('ret < 0')`). The session checks the expression against the event's format once
   * the probe exists; here it only has to be a non-empty string. A second call replaces the first.
   */
  filter(expression: string): ProbeBuilder<F, C> {
    if (typeof expression !== 'string') {
      throw new ProbeDefinitionError(`filter(${String(expression)}): the filter is not a string`, {
        code: 'BAD_FILTER',
        hint: "give a tracefs filter expression as a string, e.g. .filter('ret < 0')",
      });
    }
    checkFilter(expression);
    return this.with({ filterExpression: expression });
  }

  /** Adds `NAME=FETCHARG[:TYPE]`; the field `name` gets the fetch's value type. */
  arg<N extends string, T extends FieldValue>(
    name: N extends keyof F ? never : N,
    fetch: Fetch<T>,
  ): ProbeBuilder<WithField<F, N, T>, Inc<C>>;
  /** Adds an unnamed argument, which the kernel names `arg<position>`. */
  arg<T extends FieldValue>(fetch: Fetch<T>): ProbeBuilder<WithField<F, NextArgName<C>, T>, Inc<C>>;
  // The implementation's return type is loose; the overloads above carry the precise types.
  arg(nameOrFetch: string | Fetch<FieldValue>, maybeFetch?: Fetch<FieldValue>): ProbeBuilder<object, unknown[]> {
    const fetch = typeof nameOrFetch === 'string' ? maybeFetch : nameOrFetch;
    if (!(fetch instanceof Fetch)) {
      throw new ProbeDefinitionError(
        `arg(${typeof nameOrFetch === 'string' ? nameOrFetch : ''}): the fetch expression is missing`,
        {
          code: 'BAD_FETCH_ARG',
          hint: ".arg('name', fetch) takes a fetch such as deref(reg('si')).as('string')",
        },
      );
    }
    const name = typeof nameOrFetch === 'string' ? nameOrFetch : `arg${this.args.length + 1}`;
    const added: ProbeArg =
      fetch.type === undefined ? { name, fetch: fetch.node } : { name, fetch: fetch.node, type: fetch.type };
    validateArg(added, this, this.args.length, new Set(this.args.map((a) => a.name)));
    return this.with({ args: [...this.args, added] });
  }

  /** Validates the whole definition and returns it as a plain, frozen object. */
  build(): ProbeDefinition<F> {
    validate(this);
    return Object.freeze(plainDefinition(this));
  }
}

function start(def: AnyProbeDefinition): ProbeBuilder {
  return new ProbeBuilder(validate(def));
}

/** Options of kprobe(). */
export interface KprobeOptions {
  /** Module that defines the symbol (`MOD:SYMBOL`). */
  readonly module?: string | undefined;
  /** Byte offset into the function (`SYMBOL+OFFSET`); `$argN` needs 0. */
  readonly offset?: number | undefined;
}

/** Options of kretprobe(). */
export interface KretprobeOptions {
  /** Module that defines the symbol (`MOD:SYMBOL`). */
  readonly module?: string | undefined;
  /** Instances probed at once, 1..4096 (`r<N>:`). */
  readonly maxactive?: number | undefined;
  /** `prefix` writes `r ...` (every kernel), `suffix` writes `SYMBOL%return` (5.10+). Default `prefix`. */
  readonly syntax?: 'prefix' | 'suffix' | undefined;
}

/** Options of uprobe() and uretprobe(). */
export interface UprobeOptions {
  /** File offset of an SDT semaphore the kernel increments while the probe is on (4.20+). */
  readonly refCtrOffset?: number | undefined;
  /** For uretprobe(): `prefix` (`r`, default) or `suffix` (`%return`, 5.10+). */
  readonly syntax?: 'prefix' | 'suffix' | undefined;
}

/** A kprobe at `symbol` (`p SYMBOL`), or at a kernel address when given a bigint. */
export function kprobe(target: string | bigint, options: KprobeOptions = {}): ProbeBuilder {
  if (typeof target === 'bigint')
    return start({ kind: 'kprobe', isReturn: false, location: { type: 'kaddr', address: target }, args: [] });
  const module = options.module === undefined ? {} : { module: options.module };
  return start({
    kind: 'kprobe',
    isReturn: false,
    location: { type: 'ksym', ...module, symbol: target, offset: options.offset ?? 0 },
    args: [],
  });
}

/** A kretprobe on function `symbol` (`r SYMBOL`), or on a kernel address when given a bigint. */
export function kretprobe(target: string | bigint, options: KretprobeOptions = {}): ProbeBuilder {
  const location: ProbeLocation =
    typeof target === 'bigint'
      ? { type: 'kaddr', address: target }
      : { type: 'ksym', ...(options.module !== undefined && { module: options.module }), symbol: target, offset: 0 };
  const maxactive = options.maxactive === undefined ? {} : { maxactive: options.maxactive };
  return start({
    kind: 'kprobe',
    isReturn: true,
    returnSyntax: options.syntax ?? 'prefix',
    ...maxactive,
    location,
    args: [],
  });
}

function uprobeLocation(path: string, place: string | number, options: UprobeOptions): ProbeLocation {
  const ref = options.refCtrOffset === undefined ? {} : { refCtrOffset: options.refCtrOffset };
  if (typeof place === 'number') return { type: 'uoffset', path, offset: place, ...ref };
  // 'symbol+16' selects an offset into the symbol, as in PATH:SYMBOL+OFFSET.
  const plus = place.indexOf('+');
  const offset = plus < 0 ? 0 : Number(place.slice(plus + 1));
  return { type: 'usym', path, symbol: plus < 0 ? place : place.slice(0, plus), offset, ...ref };
}

/**
 * A uprobe in the ELF file at `path`, at a file offset (number) or a symbol
 * (`'readline'`, `'readline+4'`); symbols must be resolved (resolveUprobeSymbols) before printing.
 */
export function uprobe(path: string, place: string | number, options: UprobeOptions = {}): ProbeBuilder {
  return start({ kind: 'uprobe', isReturn: false, location: uprobeLocation(path, place, options), args: [] });
}

/** A uretprobe (return probe) in the ELF file at `path`; see uprobe(). */
export function uretprobe(path: string, place: string | number, options: UprobeOptions = {}): ProbeBuilder {
  return start({
    kind: 'uprobe',
    isReturn: true,
    returnSyntax: options.syntax ?? 'prefix',
    location: uprobeLocation(path, place, options),
    args: [],
  });
}

/** An fprobe on the entry of kernel function `symbol` (`f SYMBOL`, 6.5+). */
export function fentry(symbol: string, options: { readonly module?: string | undefined } = {}): ProbeBuilder {
  const module = options.module === undefined ? {} : { module: options.module };
  return start({ kind: 'fprobe', isReturn: false, location: { type: 'function', ...module, symbol }, args: [] });
}

/** An fprobe on the exit of kernel function `symbol` (`f SYMBOL%return`, 6.5+). */
export function fexit(
  symbol: string,
  options: { readonly module?: string | undefined; readonly maxactive?: number | undefined } = {},
): ProbeBuilder {
  const module = options.module === undefined ? {} : { module: options.module };
  const maxactive = options.maxactive === undefined ? {} : { maxactive: options.maxactive };
  return start({
    kind: 'fprobe',
    isReturn: true,
    returnSyntax: 'suffix',
    ...maxactive,
    location: { type: 'function', ...module, symbol },
    args: [],
  });
}

/** A probe on kernel tracepoint `name` (`t NAME`, 6.5+), e.g. one without a trace event. */
export function tprobe(name: string): ProbeBuilder {
  return start({ kind: 'tprobe', isReturn: false, location: { type: 'tracepoint', name }, args: [] });
}

/** A builder that continues from any definition, e.g. a parsed one. */
export function fromDefinition(def: AnyProbeDefinition): ProbeBuilder {
  return start(def);
}
