#!/usr/bin/env node
// The `ringfence` command as published: package.json's `bin` runs the esbuild bundle
// of this file (dist/cli/sim/cli/ringfence.js, sim/package/bundle.mjs). From sources,
// sim/cli/ringfence.mjs runs the same main through tsx.

import { main } from './main.ts';

// `ringfence ... | head`: a closed pipe ends the output quietly, not with a stack trace.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
process.exitCode = await main(process.argv.slice(2));
