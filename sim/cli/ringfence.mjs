#!/usr/bin/env node
// The `ringfence` command run from the TypeScript sources, for development: tsx (a
// development dependency) loads them, no build step. The published `bin` is the
// bundle dist/cli/sim/cli/ringfence.js (npm run build).
import { register } from 'tsx/esm/api';

register();
await import('./ringfence.ts');
