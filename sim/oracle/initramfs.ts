// The guest's root file system, built in memory as an uncompressed newc cpio archive
// (the kernel unpacks it without gzip). Building it here needs no root, mknod or cpio:
// device nodes are just entries with a mode and a device number.
//
// It holds exactly the world of trace-format.md ("The world a trace runs in") plus the
// trace input, which the guest deletes after reading it.

export interface CpioEntry {
  path: string;
  /** Full st_mode: type bits and permissions. */
  mode: number;
  data?: Uint8Array;
  /** Character devices: major and minor. */
  rdev?: [number, number];
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;

const enc = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** newc ("070701") archive of the entries, ending with the TRAILER!!! record. */
export function cpioNewc(entries: CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  const push = (e: CpioEntry, nlink: number) => {
    const name = enc.encode(e.path + '\0');
    const data = e.data ?? new Uint8Array(0);
    const [maj, min] = e.rdev ?? [0, 0];
    const header =
      '070701' +
      hex8(e.path === 'TRAILER!!!' ? 0 : ino++) +
      hex8(e.mode) +
      hex8(0) + // uid
      hex8(0) + // gid
      hex8(nlink) +
      hex8(0) + // mtime
      hex8(data.length) +
      hex8(0) + // dev major
      hex8(0) + // dev minor
      hex8(maj) +
      hex8(min) +
      hex8(name.length) +
      hex8(0); // check
    parts.push(enc.encode(header), name, new Uint8Array(pad4(110 + name.length)), data, new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) push(e, (e.mode & 0o170000) === S_IFDIR ? 2 : 1);
  push({ path: 'TRAILER!!!', mode: 0 }, 1);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The trace world with the guest program as /init and the wire text as /traces.wire. */
export function guestInitramfs(init: Uint8Array, wire: string): Uint8Array {
  return cpioNewc([
    { path: '.', mode: S_IFDIR | 0o755 },
    { path: 'dev', mode: S_IFDIR | 0o755 },
    { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { path: 'dev/null', mode: S_IFCHR | 0o666, rdev: [1, 3] },
    { path: 'proc', mode: S_IFDIR | 0o555 },
    { path: 'tmp', mode: S_IFDIR | 0o1777 },
    { path: 'init', mode: S_IFREG | 0o755, data: init },
    { path: 'traces.wire', mode: S_IFREG | 0o600, data: enc.encode(wire) },
  ]);
}
