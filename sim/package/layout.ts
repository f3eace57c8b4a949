// Where ringfence's own files are at run time. The same modules run from the
// TypeScript sources (vitest, tsx: this file is sim/package/layout.ts) and from the
// compiled package (dist/sim/package/layout.js). Modules named at run time (CLI
// commands, benchmark suites, the explorer's worker) carry the running module's own
// extension; data files (scenarios/, the oracle's guest program, kernel pins) are
// shipped beside dist/, not inside it, and are found from the package root.

import { fileURLToPath } from 'node:url';

/** True when running the compiled JavaScript of dist/, false when running the sources. */
export const COMPILED = !import.meta.url.endsWith('.ts');

/** The extension of ringfence's own modules in this run: '.ts' from sources, '.js' compiled. */
export const MODULE_EXT: '.ts' | '.js' = COMPILED ? '.js' : '.ts';

/**
 * The URL of one of ringfence's modules, named without extension relative to the
 * module at `from` (its import.meta.url): `moduleUrl(import.meta.url, './commands/replay')`.
 */
export function moduleUrl(from: string, relative: string): string {
  return new URL(relative + MODULE_EXT, from).href;
}

/** The package root: the directory holding package.json, scenarios/ and (when built) dist/. */
export const PACKAGE_ROOT = fileURLToPath(new URL(COMPILED ? '../../../' : '../../', import.meta.url));

/** A path under the package root (`assetPath('scenarios')`), the same from sources and from dist/. */
export function assetPath(...parts: string[]): string {
  return [PACKAGE_ROOT.replace(/[\\/]$/, ''), ...parts].join('/');
}
