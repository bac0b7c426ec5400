/**
 * Connecting to NATS and making sure the JetStream stream the events go through exists: one
 * stream (default `PERF_BRIDGE`) holding the subjects `perf-bridge.<host>.<table>` of every host,
 * with a duplicate window, so that a publish retried after a lost acknowledgement is stored once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { JetStreamManager, NatsConnection } from 'nats';

import { ShipError } from './errors.js';
import type { ShipModules } from './ship-modules.js';

/** The stream and subjects, as publishers and collectors agree on them. */
export interface StreamSettings {
  /** NATS server URLs (several: a cluster; the client moves to another when one fails). */
  servers: string[];
  /** The stream's name (default `PERF_BRIDGE`). */
  stream: string;
  /** The subjects' first token (default `perf-bridge`). */
  prefix: string;
  /** Replicas when the stream is created here (default 1; 3 on a 3-node cluster). */
  replicas: number;
}

/** The defaults of {@link StreamSettings} other than the servers. */
const DEFAULT_STREAM = { stream: 'PERF_BRIDGE', prefix: 'perf-bridge', replicas: 1 };

/** The settings for `servers` from a caller's options, each missing one its default. */
export function streamSettings(servers: string[], options: Partial<Omit<StreamSettings, 'servers'>>): StreamSettings {
  return {
    servers,
    stream: options.stream ?? DEFAULT_STREAM.stream,
    prefix: options.prefix ?? DEFAULT_STREAM.prefix,
    replicas: options.replicas ?? DEFAULT_STREAM.replicas,
  };
}

/** How long JetStream remembers message ids: a publish retried within it is stored once. */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;

/** `text` as one subject token: anything but letters, digits, `-` and `_` made `_`. */
export function subjectToken(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** Connects to the servers, retrying reconnections for ever (a failed server is someone else's to restart). */
export async function connectNats(modules: ShipModules, servers: string[], name: string): Promise<NatsConnection> {
  try {
    return await modules.nats.connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (error) {
    throw new ShipError(
      'NATS_UNREACHABLE',
      `no NATS server answered at ${servers.join(', ')}: ${(error as Error).message}`,
      'start one with JetStream enabled (nats-server -js), or give its URL: --nats nats://HOST:4222',
      error,
    );
  }
}

/** How long ensureStream() retries while the cluster is busy (another host creating the stream, a leader election). */
const STREAM_SETUP_MS = 20_000;

/** Whether the stream exists; a timeout or a cluster without a leader yet is thrown, not taken as no. */
async function streamExists(manager: JetStreamManager, name: string): Promise<boolean> {
  try {
    await manager.streams.info(name);
    return true;
  } catch (error) {
    if (/stream not found/i.test((error as Error).message)) return false;
    throw error;
  }
}

/**
 * Creates the stream if it does not exist yet; returns the JetStream manager. Hosts starting
 * together race to create it: the loser's "already in use" means it exists, and a timeout (the
 * cluster busy creating it, or electing a leader after a server died) is retried.
 */
export async function ensureStream(connection: NatsConnection, settings: StreamSettings): Promise<JetStreamManager> {
  const deadline = Date.now() + STREAM_SETUP_MS;
  for (;;) {
    try {
      return await createStream(connection, settings);
    } catch (error) {
      const busy = /timeout|no responders|already in use/i.test((error as Error).message);
      if (busy && Date.now() < deadline) {
        await sleep(500);
        continue;
      }
      throw streamRefused(settings, error);
    }
  }
}

async function createStream(connection: NatsConnection, settings: StreamSettings): Promise<JetStreamManager> {
  const manager = await connection.jetstreamManager();
  if (!(await streamExists(manager, settings.stream))) {
    await manager.streams.add({
      name: settings.stream,
      subjects: [`${settings.prefix}.>`],
      num_replicas: settings.replicas,
      duplicate_window: DUPLICATE_WINDOW_NS,
    });
  }
  return manager;
}

/** The error for a stream JetStream would not give. */
function streamRefused(settings: StreamSettings, error: unknown): ShipError {
  return new ShipError(
    'JETSTREAM_FAILED',
    `JetStream refused the stream ${settings.stream}: ${(error as Error).message}`,
    'the server needs JetStream enabled (nats-server -js), and a cluster at least as many nodes as --nats-replicas',
    error,
  );
}
