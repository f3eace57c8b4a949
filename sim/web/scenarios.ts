// The bundled scenarios, put into the page at build time (Vite reads the files;
// nothing is fetched from elsewhere at run time).

import type { ScenarioText } from '../report/matrix.ts';

const traces = import.meta.glob('../../scenarios/**/*.trace', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const PREFIX = '../../scenarios/';

/** Every scenario file: `cow.trace`, `findings/01-ring-before-restriction.trace`. */
export const SCENARIOS: ScenarioText[] = Object.entries(traces)
  .map(([p, source]) => ({ file: p.slice(PREFIX.length), source }))
  .sort((a, b) => (a.file.includes('/') ? 1 : 0) - (b.file.includes('/') ? 1 : 0) || a.file.localeCompare(b.file));
