// The CLI bundle (`npm run build`, after tsc): the `bin` and every module the CLI
// names at run time (commands, worker threads, benchmark suites), bundled by esbuild
// from the sources into dist/cli/. Loading replay's ~100 modules one by one cost more
// than running it; esbuild's shared chunks still cost replay 15 to 20 files and 25 to
// 40 ms of CPU more than one file. So the bin and the commands people run one after
// another (QUICK) are one file each, at the price of code repeated between them; the
// commands that run for seconds or minutes anyway, the worker threads and the
// benchmark suites share chunks. esbuild runs here, at build time only. Entries keep
// their path from the root (dist/cli/sim/cli/commands/replay.js), which is how
// sim/package/layout.ts finds them; tsc's dist/ stays for the library entries.

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

/** Commands whose start-up is most of their run: one file each. */
const QUICK = ['replay', 'diff', 'explain', 'policy', 'compile', 'asm', 'disasm', 'check', 'run'].map((c) => `sim/cli/commands/${c}.ts`);

rmSync(join(ROOT, BUNDLE_DIR), { recursive: true, force: true });
const commands = ts('sim/cli/commands');
const cli = await build({ ...common, entryPoints: ['sim/cli/ringfence.ts', ...commands.filter((c) => QUICK.includes(c))], splitting: false });
const rest = await build({
  ...common,
  entryPoints: [...commands.filter((c) => !QUICK.includes(c)), 'sim/explore/worker.ts', 'sim/fuzz/worker.ts', ...ts('sim/bench', '.bench.ts')],
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

const size = (r) => Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = (r) => Object.keys(r.metafile.outputs).length;
console.log(`${BUNDLE_DIR}: the bin and ${files(cli) - 1} quick commands, one file each, ${Math.round(size(cli) / 1024)} kB; ` +
  `the other commands, workers and bench suites ${files(rest)} files, ${Math.round(size(rest) / 1024)} kB`);
