/**
 * Which probe-definition features the running kernel has, read from the
 * tracefs `README` (the mini-HOWTO in /sys/kernel/tracing/README), the way
 * perf's probe-file.c does: the README documents the probe syntax the kernel
 * was built with, per config option, so a phrase being there means the
 * feature is there. Only features newer than Linux 4.15 (and the probe
 * families themselves) are gated; everything 4.15 documents is assumed.
 */
import type { AnyProbeDefinition, FetchNode } from './definition.js';
import { ProbeDefinitionError } from './errors.js';

/** A probe-definition feature that not every kernel has. */
export type ProbeFeature =
  | 'kprobe-events'
  | 'uprobe-events'
  | 'dynamic-events'
  | 'fprobe-events'
  | 'tprobe-events'
  | 'kretprobe-maxactive'
  | 'kprobe-return-suffix'
  | 'uprobe-return-suffix'
  | 'uprobe-ref-ctr'
  | 'group-only-name'
  | 'arg-n'
  | 'return-probe-args'
  | 'array-types'
  | 'symbol-type'
  | 'char-type'
  | 'ustring-type'
  | 'user-deref'
  | 'immediate-value'
  | 'immediate-string'
  | 'symstr-type'
  | 'dentry-types';

/** What a feature is, the kernel it arrived in, and the README text that shows it. */
export interface ProbeFeatureInfo {
  readonly description: string;
  /** First mainline release with the feature ("unverified" where we could not check). */
  readonly since: string;
  /** Tested against the README text (multiline). */
  readonly readme: RegExp;
}

// A type name as a whole word in the README's "type:" block (e.g. "char," or "symstr,").
const typeWord = (word: string): RegExp => new RegExp(`(?:^|[\\s,])${word.replace(/[%]/g, '\\$&')}(?=[\\s,/]|$)`);

/** Every gated feature. Versions are the mainline merge window of the commit adding it. */
export const PROBE_FEATURES: Readonly<Record<ProbeFeature, ProbeFeatureInfo>> = {
  'kprobe-events': {
    description: 'kprobe events (CONFIG_KPROBE_EVENTS, file kprobe_events)',
    since: '2.6.33',
    readme: /^\s*kprobe_events\s/m,
  },
  'uprobe-events': {
    description: 'uprobe events (CONFIG_UPROBE_EVENTS, file uprobe_events)',
    since: '3.5',
    readme: /^\s*uprobe_events\s/m,
  },
  'dynamic-events': { description: 'the dynamic_events file', since: '5.0', readme: /^\s*dynamic_events\s/m },
  'fprobe-events': {
    description: 'fprobe events (f..., CONFIG_FPROBE_EVENTS)',
    since: '6.5',
    readme: /(?:^|\s)f(?:\[[a-z]*\])?\[:\[<group>\//m,
  },
  'tprobe-events': {
    description: 'tracepoint probe events (t..., CONFIG_FPROBE_EVENTS)',
    since: '6.5',
    readme: /(?:^|\s)t\[:\[<group>\//m,
  },
  'kretprobe-maxactive': {
    description: 'a maxactive count on kretprobes (r<N>:...)',
    since: '4.12',
    readme: /r\[maxactive\]/,
  },
  'kprobe-return-suffix': {
    description: 'kprobe return probes written SYMBOL%return',
    since: '5.10',
    readme: /place \(kretprobe\):.*%return/,
  },
  'uprobe-return-suffix': {
    description: 'uprobe return probes written PATH:OFFSET%return',
    since: '5.10',
    readme: /place \(uprobe\):.*%return/,
  },
  'uprobe-ref-ctr': {
    description: 'uprobe reference counters (SDT semaphores), PATH:OFFSET(REF_CTR_OFFSET)',
    since: '4.20',
    readme: /ref_ctr_offset/,
  },
  'group-only-name': {
    description: 'a group without an event name (p:GROUP/ ...)',
    since: '6.0',
    readme: /\[<group>\/\]\[<event>\]/,
  },
  'arg-n': { description: 'function arguments $argN', since: '4.20', readme: /\$arg<N>/ },
  'return-probe-args': {
    description: '$argN in return probes',
    since: '6.9',
    readme: /return probes support:.*\$arg<N>/,
  },
  'array-types': { description: 'array types TYPE[N]', since: '4.20', readme: /<type>\\\[<array-size>\\\]/ },
  'symbol-type': { description: 'the symbol type', since: '4.20', readme: typeWord('symbol') },
  'char-type': { description: 'the char type', since: 'unverified (after 4.20, before 6.3)', readme: typeWord('char') },
  'ustring-type': { description: 'the ustring type', since: '5.3', readme: typeWord('ustring') },
  'user-deref': { description: 'user-space dereferences +u<offset>(...)', since: '5.3', readme: /\[u\]<offset>/ },
  'immediate-value': { description: 'immediate values \\N', since: '5.4', readme: /\\imm-value/ },
  'immediate-string': { description: 'immediate strings \\"TEXT"', since: '5.4', readme: /\\"imm-string"/ },
  'symstr-type': { description: 'the symstr type', since: '6.2', readme: typeWord('symstr') },
  'dentry-types': { description: 'the %pd/%pD types', since: '6.10', readme: typeWord('%pd') },
};

const TYPE_FEATURES: ReadonlySet<ProbeFeature> = new Set([
  'symbol-type',
  'char-type',
  'ustring-type',
  'symstr-type',
  'dentry-types',
]);

/**
 * The "type:" paragraph of the probe section: the type names must be looked
 * for there only, because other README sections (histogram field types)
 * also mention words like "char".
 */
function typeBlock(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => /^\s*type:\s.*\b[us]8\b/.test(line));
  if (start < 0) return '';
  const block = [lines[start]?.replace(/^\s*type:/, '') ?? ''];
  for (const line of lines.slice(start + 1)) {
    // The paragraph ends at a blank line or the next "key:" line.
    if (line.trim() === '' || /^\s*[A-Za-z][\w ()]*:\s/.test(line)) break;
    block.push(line);
  }
  return block.join('\n');
}

/** Reads the probe features a kernel has from its tracefs `README` text. */
export function parseTracefsReadme(readme: string): ReadonlySet<ProbeFeature> {
  const types = typeBlock(readme);
  const found = new Set<ProbeFeature>();
  for (const [feature, info] of Object.entries(PROBE_FEATURES) as [ProbeFeature, ProbeFeatureInfo][]) {
    if (info.readme.test(TYPE_FEATURES.has(feature) ? types : readme)) found.add(feature);
  }
  return found;
}

function walk(node: FetchNode, visit: (node: FetchNode) => void): void {
  visit(node);
  if (node.op === 'deref') walk(node.target, visit);
}

/** The gated features `def` needs, in a stable order. */
export function requiredFeatures(def: AnyProbeDefinition): ProbeFeature[] {
  const needs = new Set<ProbeFeature>();
  needs.add(
    ({ kprobe: 'kprobe-events', uprobe: 'uprobe-events', fprobe: 'fprobe-events', tprobe: 'tprobe-events' } as const)[
      def.kind
    ],
  );
  if (def.kind === 'kprobe' && def.maxactive !== undefined) needs.add('kretprobe-maxactive');
  if (def.returnSyntax === 'suffix' && def.kind === 'kprobe') needs.add('kprobe-return-suffix');
  if (def.returnSyntax === 'suffix' && def.kind === 'uprobe') needs.add('uprobe-return-suffix');
  if (def.groupName !== undefined && def.eventName === undefined) needs.add('group-only-name');
  if ((def.location.type === 'uoffset' || def.location.type === 'usym') && def.location.refCtrOffset !== undefined)
    needs.add('uprobe-ref-ctr');
  for (const arg of def.args) {
    walk(arg.fetch, (node) => {
      if (node.op === 'arg') {
        needs.add('arg-n');
        if (def.isReturn) needs.add('return-probe-args');
      }
      if (node.op === 'deref' && node.user) needs.add('user-deref');
      if (node.op === 'imm') needs.add('immediate-value');
      if (node.op === 'immString') needs.add('immediate-string');
    });
    const type = arg.type;
    if (type?.arrayLength !== undefined) needs.add('array-types');
    if (type?.kind === 'basic') {
      const feature = (
        {
          symbol: 'symbol-type',
          char: 'char-type',
          ustring: 'ustring-type',
          symstr: 'symstr-type',
          '%pd': 'dentry-types',
          '%pD': 'dentry-types',
        } as Partial<Record<string, ProbeFeature>>
      )[type.name];
      if (feature !== undefined) needs.add(feature);
    }
  }
  const order = Object.keys(PROBE_FEATURES) as ProbeFeature[];
  return order.filter((feature) => needs.has(feature));
}

/** The features `def` needs that `available` lacks. */
export function missingFeatures(def: AnyProbeDefinition, available: ReadonlySet<ProbeFeature>): ProbeFeature[] {
  return requiredFeatures(def).filter((feature) => !available.has(feature));
}

/**
 * Throws {@link ProbeDefinitionError} (code UNSUPPORTED_FEATURE) naming every
 * feature `def` needs that the kernel (as described by `available`, usually
 * parseTracefsReadme() of its README) lacks, with the release it arrived in.
 */
export function assertSupported(def: AnyProbeDefinition, available: ReadonlySet<ProbeFeature>): void {
  const missing = missingFeatures(def, available);
  if (missing.length === 0) return;
  const list = missing
    .map((f) => `${PROBE_FEATURES[f].description} ['${f}', Linux ${PROBE_FEATURES[f].since}]`)
    .join('; ');
  const family = missing.find((f) => f.endsWith('-events'));
  throw new ProbeDefinitionError(`This kernel does not support what the definition needs: ${list}.`, {
    code: 'UNSUPPORTED_FEATURE',
    hint:
      family !== undefined
        ? `the kernel was built without ${family}; ` +
          'use another probe kind (e.g. a uprobe or a tracepoint) or a kernel with it enabled'
        : 'rewrite the definition without these features ' +
          '(e.g. registers instead of $argN, the r prefix instead of %return) or run on a newer kernel',
  });
}
