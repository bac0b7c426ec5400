/**
 * The peer tools perf-bridge is compared with. Missing ones are installed from apt when the
 * bench runs as root (Debian: linux-perf, bpftrace, nats-server); otherwise their runs are skipped and the
 * report says why.
 */
import { execFileSync } from 'node:child_process';

/** One peer: its version, or why it is not there. */
export interface PeerStatus {
  version?: string;
  /** Set when the tool is unavailable. */
  skipped?: string;
  /** Set when this run installed it. */
  installed?: string;
}

/** The peer tools, by the command each is found by. */
export type PeerTool = 'perf' | 'bpftrace' | 'nats-server';

const PACKAGES: Record<PeerTool, string> = { perf: 'linux-perf', bpftrace: 'bpftrace', 'nats-server': 'nats-server' };

function version(tool: string): string | undefined {
  try {
    return execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
}

function apt(args: string[]): string | undefined {
  try {
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    // apt's last line says what went wrong; without any, the error's message does.
    return stderr === '' ? (error as Error).message : stderr.slice(stderr.lastIndexOf('\n') + 1);
  }
}

/** Installs a package; when that fails (stale package lists), updates the lists and tries again. */
function aptInstall(pkg: string): string | undefined {
  const install = ['install', '-y', '--no-install-recommends', pkg];
  if (apt(install) === undefined) return undefined;
  return apt(['update']) ?? apt(install);
}

/** Finds perf, bpftrace and nats-server, installing what is missing when allowed and possible. */
export function ensurePeers(allowInstall: boolean, log: (line: string) => void): Record<PeerTool, PeerStatus> {
  const result = {} as Record<PeerTool, PeerStatus>;
  for (const tool of Object.keys(PACKAGES) as PeerTool[]) {
    let found = version(tool);
    if (found !== undefined) {
      result[tool] = { version: found };
      continue;
    }
    const pkg = PACKAGES[tool];
    if (!allowInstall) {
      result[tool] = { skipped: `${tool} not installed (--no-install given; apt-get install ${pkg})` };
      continue;
    }
    if (process.getuid?.() !== 0) {
      result[tool] = { skipped: `${tool} not installed and not root to install ${pkg}` };
      continue;
    }
    log(`installing ${pkg} from apt ...`);
    const failure = aptInstall(pkg);
    found = version(tool);
    result[tool] =
      found !== undefined
        ? { version: found, installed: pkg }
        : { skipped: `${tool} not installed; apt-get install ${pkg} failed: ${failure ?? 'no binary after install'}` };
  }
  return result;
}
