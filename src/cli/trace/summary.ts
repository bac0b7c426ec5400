/** The line `trace` ends with on stderr: what was written or aggregated, delivered and lost. */
import type { SessionStats } from '../../session/session.js';

/**
 * `perf-bridge: 3004 events written, 3004 delivered, 0 lost (cpu0 0, cpu1 0), 0 decode errors`;
 * `outcome` is what became of the events (`3004 events written`, `3004 events aggregated`).
 */
export function summaryLine(outcome: string, stats: SessionStats): string {
  const perCpu = Object.entries(stats.lost.perCpu)
    .map(([cpu, lost]) => `cpu${cpu} ${lost}`)
    .join(', ');
  return (
    `perf-bridge: ${outcome}, ${stats.delivered} delivered, ` +
    `${stats.lost.total} lost (${perCpu}), ${stats.decodeErrors} decode errors`
  );
}
