/**
 * A real NATS JetStream cluster on loopback ports (3 nodes, or a single server), from Debian's
 * `nats-server`, for the shipping tests and the bench. Each server has its own store directory under one temporary directory; stop()
 * kills the servers this helper started (by pid) and removes that directory.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from 'nats';

/** Why the NATS tests cannot run here, or false. */
export function natsServerMissing(): string | false {
  const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? false : 'nats-server is not installed (apt-get install nats-server)';
}

/** A free loopback TCP port (free when asked; the servers bind it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** One server of the cluster. */
interface Node {
  name: string;
  clientPort: number;
  routePort: number;
  process: ChildProcess | undefined;
}

/** A running cluster; see the module comment. */
export class NatsCluster {
  private constructor(
    private readonly dir: string,
    private readonly nodes: Node[],
    private readonly niceness: number,
  ) {}

  /**
   * Starts `size` servers clustered together and waits until JetStream answers on each. `niceness`
   * (the bench's 19): the servers take only CPU time nothing else wants, as a remote cluster would.
   */
  static async start(size = 3, niceness = 0): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-nats-'));
    const nodes: Node[] = [];
    for (let i = 0; i < size; i++)
      nodes.push({ name: `n${i + 1}`, clientPort: await freePort(), routePort: await freePort(), process: undefined });
    const cluster = new NatsCluster(dir, nodes, niceness);
    for (const node of nodes) cluster.launch(node);
    try {
      await cluster.waitForJetStream();
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The client URLs of every server. */
  get urls(): string[] {
    return this.nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`);
  }

  private launch(node: Node): void {
    const store = join(this.dir, node.name);
    mkdirSync(store, { recursive: true });
    const routes = this.nodes
      .filter((other) => other !== node)
      .map((other) => `nats://127.0.0.1:${other.routePort}`)
      .join(',');
    const clustering =
      this.nodes.length === 1
        ? []
        : ['--cluster_name', 'perf-bridge-test', '--cluster', `nats://127.0.0.1:${node.routePort}`, '--routes', routes];
    const args = ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(node.clientPort), '-n', node.name];
    node.process = spawn('nice', ['-n', String(this.niceness), 'nats-server', ...args, ...clustering], {
      stdio: 'ignore',
    });
  }

  /** Waits until a JetStream request answers through every server (the cluster elected its leader). */
  private async waitForJetStream(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (const url of this.urls) {
      for (;;) {
        try {
          const connection = await connect({ servers: url, timeout: 1000 });
          try {
            await (await connection.jetstreamManager({ timeout: 1000 })).getAccountInfo();
            break;
          } finally {
            await connection.close();
          }
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`JetStream did not start at ${url}: ${String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  }

  /**
   * Waits until the durable consumer `durable` of `stream` has acknowledged messages (a collector
   * stored some rounds); resolves with how many.
   */
  async waitForAcks(stream: string, durable: string, timeoutMs: number): Promise<number> {
    const connection = await connect({ servers: this.urls });
    try {
      const manager = await connection.jetstreamManager();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const acked = await manager.consumers.info(stream, durable).then(
          (info) => info.ack_floor.stream_seq,
          () => 0,
        );
        if (acked > 0) return acked;
        if (Date.now() > deadline) throw new Error(`${durable} acknowledged nothing in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await connection.close();
    }
  }

  /** Kills server `index` (SIGKILL, by the pid this helper started). */
  kill(index: number): void {
    this.nodes[index]!.process?.kill('SIGKILL');
  }

  /** Kills every server and removes their stores. */
  stop(): void {
    for (const node of this.nodes) node.process?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
