/**
 * The publisher's worker thread: connects to NATS, creates the stream if missing, and publishes
 * each PackedRows it gets as one Arrow IPC record batch, acknowledged by JetStream, then sends the
 * buffer back. Publishes run concurrently (bounded by the capture's queue: a buffer comes back
 * only when its batch is acknowledged or given up). At the lowest priority (store/worker-loop.ts):
 * encoding a flood's batches must not delay the capture's drains.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { workerData } from 'node:worker_threads';

import type { PackedRows } from '../store/packed-batch.js';
import type { RunCounts, RunData } from '../store/rows-protocol.js';
import { type RowsTaker, post, runRowsWorker } from '../store/worker-loop.js';
import { encodeRows } from './arrow-rows.js';
import { type StreamSettings, connectNats, ensureStream, subjectToken } from './jetstream.js';
import { RUN_END_TOKEN, type RunEnd } from './run-end.js';
import { loadShipModules } from './ship-modules.js';

/** What the publisher's worker starts with. */
export interface PublishWorkerData extends RunData {
  settings: StreamSettings;
  /** How long a batch is retried before it is given up (counted lost). */
  retryMs: number;
}

const data = workerData as PublishWorkerData;

async function openPublisher(): Promise<RowsTaker> {
  const modules = loadShipModules();
  const { settings } = data;
  const connection = await connectNats(modules, settings.servers, `perf-bridge publisher ${data.host}`);
  try {
    await ensureStream(connection, settings);
  } catch (error) {
    await connection.close();
    throw error;
  }
  const jetstream = connection.jetstream();
  const host = subjectToken(data.host);
  const origin = { host: data.host, kernel: data.kernel, startedUs: data.startedUs, clockOffsetUs: data.clockOffsetUs };
  const subjects = data.tables.map((table) => `${settings.prefix}.${host}.${table.table}`);
  const published = data.tables.map(() => 0);
  const lost = data.tables.map(() => 0);
  const pending = new Set<Promise<void>>();
  let seq = 0;

  /** Publishes until acknowledged (a retry under the same id is stored once) or out of time. */
  const publish = async (subject: string, bytes: Uint8Array, msgID: string) => {
    const deadline = Date.now() + data.retryMs;
    for (;;) {
      try {
        await jetstream.publish(subject, bytes, { msgID, timeout: 5000 });
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await sleep(250);
      }
    }
  };

  const take = (packed: PackedRows) => {
    const { table, rows, buffer } = packed;
    seq++;
    const bytes = encodeRows(modules.arrow, data.tables[table]!, packed, { ...origin, seq });
    const sending = publish(subjects[table]!, bytes, `${host}.${data.startedUs}.${seq}`).then(
      () => {
        published[table]! += rows;
        post({ kind: 'done', table, rows, lost: false, buffer });
      },
      (error: unknown) => {
        lost[table]! += rows;
        post({ kind: 'done', table, rows, lost: true, error: (error as Error).message, buffer });
      },
    );
    const tracked = sending.finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  const end = async (counts: RunCounts) => {
    while (pending.size > 0) await Promise.all(pending);
    const runEnd: RunEnd = {
      origin,
      endedUs: counts.endedUs,
      lostKernel: counts.lostKernel,
      events: data.tables.map((table, i) => ({
        event: table.event,
        table: table.table,
        delivered: counts.delivered[i]!,
        published: published[i]!,
        lost: lost[i]! + counts.lostQueued[i]!,
      })),
    };
    try {
      const subject = `${settings.prefix}.${host}.${RUN_END_TOKEN}`;
      await publish(subject, new TextEncoder().encode(JSON.stringify(runEnd)), `${host}.${data.startedUs}.end`);
    } finally {
      await connection.drain();
    }
  };

  return { run: 0, take, end };
}

void runRowsWorker(openPublisher, 'publishing to NATS');
