// The CLI bundle (`npm run build`, after tsc): the `bin` and every module the CLI
// names at run time (commands, worker threads, benchmark suites), bundled by esbuild
// from the sources into dist/cli/, code-split so that shared code loads once. Loading
// the ~100 modules of `replay` one by one cost more than running it; a few chunks do
// not. esbuild runs here, at build time only; the package needs it at no other time.
// Entries keep their path from the root (dist/cli/sim/cli/commands/replay.js), which is
// how sim/package/layout.ts finds them; tsc's dist/ stays for the library entries.

import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundle's directory under the root; layout.ts receives it as RINGFENCE_BUNDLE_DIR. */
export const BUNDLE_DIR = 'dist/cli';

const ts = (dir, suffix = '.ts') =>
  readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(suffix) && !f.endsWith('.test.ts')).map((f) => `${dir}/${f}`);

const entryPoints = [
  'sim/cli/ringfence.ts',
  ...ts('sim/cli/commands'),
  'sim/explore/worker.ts',
  'sim/fuzz/worker.ts',
  ...ts('sim/bench', '.bench.ts'),
];

const result = await build({
  absWorkingDir: ROOT,
  entryPoints,
  outbase: '.',
  outdir: BUNDLE_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies stay packages (immer, fast-check, bullmq, ...), resolved by node as before.
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  define: { RINGFENCE_BUNDLE_DIR: JSON.stringify(BUNDLE_DIR) },
  sourcemap: true,
  // Names stay readable in stack traces of internal errors (exit 3), which users report.
  minifySyntax: true,
  minifyWhitespace: false,
  minifyIdentifiers: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
console.log(`${relative(ROOT, join(ROOT, BUNDLE_DIR))}: ${entryPoints.length} entries, ${outputs.length - entryPoints.length} shared chunks`);
