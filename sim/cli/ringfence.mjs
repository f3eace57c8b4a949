#!/usr/bin/env node
// The `ringfence` command. It loads the TypeScript sources through tsx so that a
// fresh clone runs after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
// `ringfence ... | head`: a closed pipe ends the output quietly, not with a stack trace.
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
