#!/usr/bin/env node
// The `ringfence` command. It loads the TypeScript sources through tsx so that a
// fresh clone runs after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
