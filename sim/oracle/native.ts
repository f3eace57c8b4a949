// `oracle --native` runs the guest program on this machine's kernel, as whoever runs
// ringfence, so a trace's paths must not reach the host's files: the guest runs in a
// private scratch directory (made fresh, removed after) laid out like the model's
// tree (model/fs/fs.ts: tmp 1777, dev, proc, init), and every path a trace names
// must stay inside it: relative, and never climbing above it with `..`. In qemu the
// guest's root is its own initramfs and absolute paths are fine; natively they are
// refused before anything runs (exit 2, at the path's line and column), except
// /dev/null, the same empty device everywhere.
//
// What the scratch tree cannot have: dev/null and dev/console as devices (making device
// nodes needs root), and root ownership (everything belongs to the user running it).

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rfError, type RfError } from '../../model/errors.ts';
import type { Trace } from '../trace/ast.ts';

/** Why `path` would leave the scratch directory, or null. */
export function escapesScratch(path: string): string | null {
  // /dev/null is the same empty device on every host and in the model: the one host path allowed.
  if (path === '/dev/null') return null;
  if (path.startsWith('/')) return 'an absolute path reaches the host\'s file system';
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return '`..` climbs out of the scratch directory';
  }
  return null;
}

/** The first path of `traces` that would leave the scratch directory, located. */
export function checkNativePaths(traces: readonly Trace[]): RfError | null {
  for (const t of traces) {
    for (const cmd of t.commands) {
      if (cmd.c !== 'sqe' || cmd.sqe.path === undefined) continue;
      const why = escapesScratch(cmd.sqe.path);
      if (why) {
        return rfError('usage', `--native runs traces in a private scratch directory, and path ${JSON.stringify(cmd.sqe.path)} leaves it: ${why}`, cmd.loc,
          'a relative path inside the scratch directory (tmp/x rather than /tmp/x), or a run in qemu (without --native)');
      }
    }
  }
  return null;
}

/** A fresh scratch directory with the model's tree; `remove` deletes it and everything the trace made. */
export function makeScratch(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ringfence-native-'));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'dev'), { mode: 0o755 });
  mkdirSync(join(dir, 'proc'), { mode: 0o555 });
  writeFileSync(join(dir, 'init'), '', { mode: 0o755 });
  return {
    dir,
    remove: () => {
      // The trace may have made directories without write or search permission.
      chmodSync(join(dir, 'proc'), 0o755);
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    },
  };
}
