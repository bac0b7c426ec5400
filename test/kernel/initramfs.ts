/**
 * The guest's initramfs: static busybox, the virtio/9p modules the kernel
 * lacks built in, and an `/init` that mounts the host root read-only over
 * 9p, chroots into it and runs the job the host left in the job share.
 *
 * The cpio archive is written here directly (newc format) rather than with
 * the `cpio` tool, so it can contain `/dev/console` without needing mknod
 * on the host and without staging files in a directory.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { GuestModule } from './modules.js';

/** 9p mount tag of the read-only share of the host's `/`. */
export const ROOT_TAG = 'hostroot';
/** 9p mount tag of the writable per-run job share. */
export const JOB_TAG = 'vmjob';
/** 9p mount tag of the read-only share of a directory under /tmp or /run that the guest's tmpfs would hide. */
export const HIDDEN_TAG = 'vmhidden';
/** Where the job share appears inside the guest's chroot (on a tmpfs, since the root is read-only). */
export const GUEST_JOB_DIR = '/run/perf-bridge-vm';
/** Console marker printed by init right before the job starts; the host uses it to time the boot. */
export const START_MARKER = '@@perf-bridge-vm:start@@';
/** Prefix of init's own error lines, so the host can quote them in its report. */
export const INIT_ERROR_PREFIX = 'perf-bridge-vm: ERROR:';

const NINEP = 'trans=virtio,version=9p2000.L,msize=524288';

/**
 * `/init`. It stays generic (no job details) so one cached image serves every
 * run; the job itself is `job.sh` in the job share. The exit status is written
 * by init, not by the job, so that it exists even when the job script dies.
 */
const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "${INIT_ERROR_PREFIX} $*"; poweroff -f; sleep 60; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
  insmod "/modules/$m.ko" || fail "insmod $m failed"
done
R=/newroot
mount -t 9p -o ${NINEP},ro ${ROOT_TAG} $R || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "cannot mount tmpfs on /tmp"
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "cannot mount tmpfs on /run"
mkdir -p $R${GUEST_JOB_DIR}
mount -t 9p -o ${NINEP} ${JOB_TAG} $R${GUEST_JOB_DIR} || fail "cannot mount the job share"
# A project checked out under /tmp or /run is hidden by the tmpfs above: mount it back, read-only.
if [ -f $R${GUEST_JOB_DIR}/hidden-path ]; then
  H=$(cat $R${GUEST_JOB_DIR}/hidden-path)
  mkdir -p "$R$H" && mount -t 9p -o ${NINEP},ro ${HIDDEN_TAG} "$R$H" || fail "cannot mount $H"
fi
mount -t proc proc $R/proc || fail "cannot mount proc"
mount -t sysfs sysfs $R/sys || fail "cannot mount sysfs"
mount -t devtmpfs devtmpfs $R/dev || fail "cannot mount devtmpfs"
mount -t tracefs tracefs $R/sys/kernel/tracing || fail "cannot mount tracefs"
# Optional extras some tools expect; their absence is not fatal.
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm 2>/dev/null
echo "${START_MARKER}"
chroot $R /bin/sh ${GUEST_JOB_DIR}/job.sh < /dev/null
echo $? > $R${GUEST_JOB_DIR}/status
sync
poweroff -f
sleep 60
`;

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
  /** Device numbers for character devices. */
  rdev?: [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** Serialises entries as a newc ("070701") cpio archive, the format the kernel unpacks. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const all = [...entries, { name: 'TRAILER!!!', mode: 0 }];
  all.forEach((e, i) => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const fields = [
      i + 1, // ino: unique, so nothing is taken for a hard link
      e.mode,
      0, // uid
      0, // gid
      e.mode & S_IFDIR ? 2 : 1, // nlink
      0, // mtime: fixed, so identical inputs give identical archives
      data.length,
      0, // devmajor
      0, // devminor
      e.rdev?.[0] ?? 0,
      e.rdev?.[1] ?? 0,
      name.length,
      0, // check
    ];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`);
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length));
  });
  return Buffer.concat(parts);
}

/**
 * Builds (or reuses) the gzip-compressed initramfs for a kernel in `dir`.
 * The file name carries a hash of everything that goes in, so changing the
 * init script, busybox or the module set rebuilds it without re-downloading
 * the kernel.
 *
 * @returns the path of the image.
 */
export function ensureInitramfs(dir: string, busybox: string, modules: readonly GuestModule[]): string {
  const busyboxImage = readFileSync(busybox);
  const hash = createHash('sha256').update(INIT_SCRIPT).update(busyboxImage);
  for (const m of modules) hash.update(m.name).update(m.image);
  const path = join(dir, `initramfs-${hash.digest('hex').slice(0, 12)}.cpio.gz`);
  if (existsSync(path)) return path;

  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'newroot', 'modules'].map((name) => ({ name, mode: S_IFDIR | 0o755 })),
    // Without /dev/console in the initramfs, init would start with no stdio.
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: busyboxImage },
    { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(INIT_SCRIPT) },
    { name: 'modules/order', mode: S_IFREG | 0o644, data: Buffer.from(modules.map((m) => `${m.name}\n`).join('')) },
    ...modules.map((m) => ({ name: `modules/${m.name}.ko`, mode: S_IFREG | 0o644, data: m.image })),
  ];
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, gzipSync(cpioNewc(entries)));
  renameSync(tmp, path);
  // Images built from an older recipe are dead weight now.
  for (const f of readdirSync(dir)) {
    if (/^initramfs-[0-9a-f]+\.cpio\.gz$/.test(f) && join(dir, f) !== path) rmSync(join(dir, f), { force: true });
  }
  return path;
}
