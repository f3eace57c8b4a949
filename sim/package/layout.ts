// Where ringfence's own files are at run time. The same modules run in three forms:
// - the TypeScript sources (vitest, tsx): this file is sim/package/layout.ts;
// - tsc's output, dist/ (the library entries): dist/sim/package/layout.js;
// - the CLI bundle, dist/cli/ (the `bin`; sim/package/bundle.mjs): this code sits in
//   some chunk whose own location says nothing about where anything else is.
// So modules named at run time (CLI commands, benchmark suites, worker threads) are
// named by their path from the package root without extension ('sim/cli/commands/replay'),
// and this file maps that name to the running form's file. Data files (scenarios/, the
// oracle's guest program, kernel pins) ship beside dist/ and are found from the root.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Set by the bundler (sim/package/bundle.mjs) to the bundle's directory under the root; absent elsewhere. */
declare const RINGFENCE_BUNDLE_DIR: string | undefined;

const BUNDLE_DIR: string | undefined = typeof RINGFENCE_BUNDLE_DIR === 'string' ? RINGFENCE_BUNDLE_DIR : undefined;

/** True when running JavaScript (tsc's dist/ or the CLI bundle), false when running the sources. */
export const COMPILED = BUNDLE_DIR !== undefined || !import.meta.url.endsWith('.ts');

/** True when running the CLI bundle. */
export const BUNDLED = BUNDLE_DIR !== undefined;

/** The extension of ringfence's own modules in this run: '.ts' from sources, '.js' compiled. */
export const MODULE_EXT: '.ts' | '.js' = COMPILED ? '.js' : '.ts';

/** Where modules live under the root in this run: '' (sources), 'dist/' (tsc), 'dist/cli/' (bundle). */
export const MODULE_BASE: string = BUNDLE_DIR !== undefined ? `${BUNDLE_DIR}/` : COMPILED ? 'dist/' : '';

/**
 * The package root: the directory holding package.json, scenarios/ and (when built) dist/.
 * Compiled or bundled, this module's own file is somewhere under MODULE_BASE (a chunk
 * of the bundle may sit at any depth there), so the root is the path before it: no
 * file system call at start-up. Only a file moved out of that layout falls back to
 * looking upwards for ringfence's package.json.
 */
export const PACKAGE_ROOT: string = findRoot(fileURLToPath(import.meta.url));

/**
 * The root for a module file compiled or bundled under `base` ('dist/', 'dist/cli/'):
 * the path before the last `/base` in it, or undefined when the file is not under one.
 */
export function rootBefore(file: string, base: string, separator: string = sep): string | undefined {
  const at = file.lastIndexOf(separator + base.split('/').join(separator));
  return at > 0 ? file.slice(0, at) : undefined;
}

function findRoot(self: string): string {
  if (!COMPILED) return dirname(dirname(dirname(self))); // sim/package/layout.ts
  const before = rootBefore(self, MODULE_BASE);
  if (before !== undefined) return before;
  for (let dir = dirname(self); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    try {
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'ringfence') return dir;
    } catch {
      // An unreadable or malformed package.json is not ours: go on up.
    }
    if (dirname(dir) === dir) return dirname(dirname(dirname(dirname(self)))); // tsc's dist/sim/package/layout.js
  }
}

/** A path under the package root (`assetPath('scenarios')`), the same from sources, dist/ and the bundle. */
export function assetPath(...parts: string[]): string {
  return [PACKAGE_ROOT, ...parts].join('/');
}

/** The file of one of ringfence's modules, named from the root without extension: `modulePath('sim/explore/worker')`. */
export function modulePath(name: string): string {
  return assetPath(MODULE_BASE + name + MODULE_EXT);
}

/** The file URL of one of ringfence's modules, for import() and new Worker(): `moduleUrl('sim/cli/commands/replay')`. */
export function moduleUrl(name: string): string {
  return pathToFileURL(modulePath(name)).href;
}

/** The directory of ringfence's modules named from the root (`moduleDir('sim/bench')`), in this run's form. */
export function moduleDir(name: string): string {
  return assetPath(MODULE_BASE + name);
}
