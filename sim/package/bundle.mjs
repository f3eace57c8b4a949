// The CLI bundle (`npm run build`, after tsc): the `bin` and every module the CLI
// names at run time (commands, worker threads, benchmark suites), bundled by esbuild
// from the sources into dist/cli/. Loading replay's ~100 modules one by one cost more
// than running it. Each command is one file with everything it imports (no shared
// chunks): loading 15 to 20 chunks still cost 25 to 40 ms more than one file, at
// the price of code repeated between commands (see docs/package.md, Size). Worker
// threads and benchmark suites, whose start-up nobody waits on, share chunks.
// esbuild runs here, at build time only. Entries keep their path from the root
// (dist/cli/sim/cli/commands/replay.js), which is how sim/package/layout.ts finds
// them; tsc's dist/ stays for the library entries and their declarations.

import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundle's directory under the root; layout.ts receives it as RINGFENCE_BUNDLE_DIR. */
const BUNDLE_DIR = 'dist/cli';

const ts = (dir, suffix = '.ts') =>
  readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(suffix) && !f.endsWith('.test.ts')).sort().map((f) => `${dir}/${f}`);

const common = {
  absWorkingDir: ROOT,
  outbase: '.',
  outdir: BUNDLE_DIR,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies stay packages (immer, fast-check, bullmq, ...), resolved by node as before.
  packages: 'external',
  define: { RINGFENCE_BUNDLE_DIR: JSON.stringify(BUNDLE_DIR) },
  // Less to read and parse; names are kept, so an internal error's stack (exit 3) still names functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

rmSync(join(ROOT, BUNDLE_DIR), { recursive: true, force: true });
const cli = await build({ ...common, entryPoints: ['sim/cli/ringfence.ts', ...ts('sim/cli/commands')], splitting: false });
const rest = await build({
  ...common,
  entryPoints: ['sim/explore/worker.ts', 'sim/fuzz/worker.ts', ...ts('sim/bench', '.bench.ts')],
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

const size = (r) => Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = (r) => Object.keys(r.metafile.outputs).length;
console.log(`${BUNDLE_DIR}: CLI ${files(cli)} files, ${Math.round(size(cli) / 1024)} kB; workers and bench suites ${files(rest)} files, ${Math.round(size(rest) / 1024)} kB`);
