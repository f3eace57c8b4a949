// Worker threads start without the main thread's TypeScript loader, and loading
// the sources through tsx in every worker costs one to two seconds each here (a
// transform service per thread). So the worker and everything it imports are
// bundled once into one JavaScript file with esbuild (the compiler tsx itself
// runs on), kept under node_modules/.cache/ringfence, and rebuilt only when one
// of its sources changed. A worker then starts in about a tenth of the time.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** The worker's own source, for when bundling is not possible (tsx loads it). */
export const WORKER_SOURCE_ENTRY = join(HERE, 'worker-entry.mjs');

interface Manifest {
  /** Source path -> "mtimeMs:size" when the bundle was built. */
  inputs: Record<string, string>;
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}

function fresh(manifestPath: string): boolean {
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const inputs = Object.entries(m.inputs);
    return inputs.length > 0 && inputs.every(([p, st]) => stamp(p) === st);
  } catch {
    return false;
  }
}

/** A short hex tag of a path (FNV-1a). */
function pathTag(path: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The path of an up-to-date worker bundle, or null when it cannot be built (the caller falls back to tsx). */
export async function workerBundle(): Promise<string | null> {
  const dir = join(ROOT, 'node_modules', '.cache', 'ringfence');
  // Named after this checkout's path: two checkouts can share node_modules (a
  // symlink, a worktree), and each must run a bundle of its own sources.
  const out = join(dir, `explore-worker-${pathTag(HERE)}.mjs`);
  const manifest = `${out}.inputs.json`;
  if (fresh(manifest)) return out;
  try {
    const { build } = await import('esbuild');
    mkdirSync(dir, { recursive: true });
    const r = await build({
      entryPoints: [join(HERE, 'worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      outfile: out, metafile: true, write: false, logLevel: 'silent',
    });
    const inputs: Record<string, string> = {};
    for (const p of Object.keys(r.metafile.inputs)) {
      const abs = resolve(process.cwd(), p);
      inputs[abs] = stamp(abs);
    }
    // Written under a name of this process's own and renamed into place: several
    // processes (test files run in parallel) may build at once, and a worker must
    // never read a half-written bundle.
    const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, r.outputFiles[0].contents);
    renameSync(tmp, out);
    writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify({ inputs } satisfies Manifest));
    renameSync(`${manifest}.${process.pid}.tmp`, manifest);
    return out;
  } catch {
    return null;
  }
}
