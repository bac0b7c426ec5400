/**
 * A kprobe's events stored in DuckDB: its string fetcharg and its probe address. This machine's
 * kernel has no kprobes: the test runs in the kernel VMs (test/kernel/suite.ts) and skips here.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { openSession } from '../../src/session/session.js';
import { loadDuckDB } from '../../src/store/duckdb-module.js';
import { openStore } from '../../src/store/index.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';

const noKprobes = !existsSync(join(tracefsRoot(), 'kprobe_events')) && 'kernel has no kprobe_events';
const OPENED = '/etc/hostname';
const N = 200;

test(
  'a kprobe with a string fetcharg: one row per call, path as VARCHAR, probe address as UBIGINT',
  { skip: noKprobes },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-kprobe-store-'));
    try {
      const path = join(dir, 'open.duckdb');
      const session = openSession({
        probes: { open: 'p do_sys_openat2 path=+0(%si):string' },
        pid: process.pid,
        inherit: false,
      });
      const store = await openStore(path, session.formats).catch((error: unknown) => {
        session.close();
        throw error;
      });
      session.onColumns(store.add);
      session.start();
      for (let i = 0; i < N; i++) closeSync(openSync(OPENED, 'r'));
      session.close();
      const stats = session.stats();
      await store.close({ delivered: { open: stats.events.open?.delivered ?? 0 }, lostKernel: stats.lost.total });

      const { api } = loadDuckDB();
      const instance = await api.DuckDBInstance.create(path);
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        `SELECT count(*), count(DISTINCT __probe_ip), min(__probe_ip) > 0 FROM open WHERE tid = ${process.pid} AND path = '${OPENED}'`,
      );
      const types = await connection.runAndReadAll(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'open' AND column_name IN ('__probe_ip', 'path') ORDER BY 1",
      );
      connection.closeSync();
      instance.closeSync();
      // This thread opened the file N times: N rows, all at the one probe address.
      assert.deepEqual(reader.getRowsJS(), [[BigInt(N), 1n, true]]);
      assert.deepEqual(types.getRowsJS(), [
        ['__probe_ip', 'UBIGINT'],
        ['path', 'VARCHAR'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
