// The file system a trace runs in (trace-format.md "The world a trace runs in"):
// /, /dev, /proc, /tmp (1777), /dev/null, /dev/console, /init, all root:root, and
// whatever the trace creates. Paths resolve like the kernel's path walk for this
// small tree (no symlinks, one mount); permissions follow generic_permission with
// gid 0 for every task (setresuid changes only uids).

export type InodeKind = 'dir' | 'reg' | 'chr';

export interface Inode {
  readonly kind: InodeKind;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface FsState {
  /** Absolute normalised path → inode. */
  readonly nodes: ReadonlyMap<string, Inode>;
}

const node = (kind: InodeKind, mode: number): Inode => Object.freeze({ kind, mode, uid: 0, gid: 0 });

export const INITIAL_FS: FsState = Object.freeze({
  nodes: new Map<string, Inode>([
    ['/', node('dir', 0o755)],
    ['/dev', node('dir', 0o755)],
    ['/proc', node('dir', 0o555)],
    ['/tmp', node('dir', 0o1777)],
    ['/dev/null', node('chr', 0o666)],
    ['/dev/console', node('chr', 0o600)],
    ['/init', node('reg', 0o755)],
  ]),
});

export const UMASK = 0o022;

export interface Cred {
  uid: number;
  /** Capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER ... all or nothing here). */
  cap: boolean;
}

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

/** generic_permission for this tree (every task's gid is 0). */
export function permitted(ino: Inode, cred: Cred, want: number): boolean {
  if (cred.cap) {
    // CAP_DAC_OVERRIDE: read/write always; exec on a non-directory needs some x bit.
    if (want & MAY_EXEC && ino.kind !== 'dir' && (ino.mode & 0o111) === 0) return false;
    return true;
  }
  const bits = cred.uid === ino.uid ? (ino.mode >> 6) & 7 : ino.gid === 0 ? (ino.mode >> 3) & 7 : ino.mode & 7;
  return (bits & want) === want;
}

export function parentOf(path: string): string {
  if (path === '/') return '/';
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

export type Walk =
  | { ok: true; parent: string; name: string; path: string; node: Inode | undefined; trailingSlash: boolean; dotLast: boolean }
  | { ok: false; errno: number };

/**
 * Walk `path` from `start` (an absolute directory path; `root` bounds '..').
 * Intermediate components must exist, be directories and be searchable. The last
 * component is returned with its inode, if any. `beneath` makes absolute paths and
 * escapes with '..' fail with EXDEV (RESOLVE_BENEATH).
 */
export function walk(fs: FsState, cred: Cred, start: string, path: string, root = '/', beneath = false): Walk {
  const ENOENT = 2, ENOTDIR = 20, EACCES = 13, ENAMETOOLONG = 36, EXDEV = 18;
  let cur = path.startsWith('/') ? root : start;
  if (path.startsWith('/') && beneath) return { ok: false, errno: EXDEV };
  const parts = path.split('/').filter((p) => p !== '');
  const trailingSlash = path.endsWith('/') && parts.length > 0;
  if (parts.length === 0) {
    // "/" (or "///"): the root itself.
    return { ok: true, parent: cur, name: '.', path: cur, node: fs.nodes.get(cur), trailingSlash: false, dotLast: true };
  }
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length > 255) return { ok: false, errno: ENAMETOOLONG };
    const dir = fs.nodes.get(cur);
    if (!dir) return { ok: false, errno: ENOENT };
    if (dir.kind !== 'dir') return { ok: false, errno: ENOTDIR };
    if (!permitted(dir, cred, MAY_EXEC)) return { ok: false, errno: EACCES };
    const last = i === parts.length - 1;
    if (p === '.' || p === '..') {
      if (p === '..') {
        if (cur === root) {
          if (beneath) return { ok: false, errno: EXDEV };
        } else cur = parentOf(cur);
      }
      if (last) return { ok: true, parent: parentOf(cur), name: p, path: cur, node: fs.nodes.get(cur), trailingSlash, dotLast: true };
      continue;
    }
    const next = joinPath(cur, p);
    const ino = fs.nodes.get(next);
    if (last) return { ok: true, parent: cur, name: p, path: next, node: ino, trailingSlash, dotLast: false };
    if (!ino) return { ok: false, errno: ENOENT };
    cur = next;
  }
  /* c8 ignore next */
  return { ok: false, errno: ENOENT };
}

export function withNode(fs: FsState, path: string, ino: Inode): FsState {
  const nodes = new Map(fs.nodes);
  nodes.set(path, ino);
  return Object.freeze({ nodes });
}
