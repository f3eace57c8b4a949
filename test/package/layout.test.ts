// Where ringfence finds its own files (sim/package/layout.ts): run-time module names
// from the package root, the same names the CLI bundle's entries keep
// (sim/package/bundle.mjs), and the root found from a module's own path.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../sim/cli/main.ts';
import { assetPath, BUNDLED, COMPILED, MODULE_BASE, moduleDir, modulePath, PACKAGE_ROOT, rootBefore } from '../../sim/package/layout.ts';

describe('layout from the sources', () => {
  it('is the sources, rooted where package.json names ringfence', () => {
    expect([COMPILED, BUNDLED, MODULE_BASE]).toEqual([false, false, '']);
    expect(JSON.parse(readFileSync(assetPath('package.json'), 'utf8')).name).toBe('ringfence');
    expect(existsSync(assetPath('scenarios'))).toBe(true);
  });

  it('names every module the CLI loads at run time by its path from the root', () => {
    for (const c of COMMANDS) expect(existsSync(modulePath(`sim/cli/commands/${c}`)), c).toBe(true);
    for (const w of ['sim/explore/worker', 'sim/fuzz/worker']) expect(existsSync(modulePath(w)), w).toBe(true);
    expect(readdirSync(moduleDir('sim/bench')).filter((f) => f.endsWith('.bench.ts')).length).toBeGreaterThan(0);
  });

  it('the bundler takes as entries every command, both workers and every bench suite', () => {
    const script = readFileSync(assetPath('sim/package/bundle.mjs'), 'utf8');
    // The entries are listed by directory; a module named at run time elsewhere must be added there.
    for (const e of ["'sim/cli/ringfence.ts'", "ts('sim/cli/commands')", "'sim/explore/worker.ts'", "'sim/fuzz/worker.ts'", "ts('sim/bench', '.bench.ts')"]) {
      expect(script).toContain(e);
    }
    expect(PACKAGE_ROOT.endsWith('/')).toBe(false);
  });
});

describe('rootBefore: the root of a compiled or bundled module', () => {
  const cases: [string, string, string | undefined][] = [
    ['/home/u/app/node_modules/ringfence/dist/cli/chunks/chunk-X.js', 'dist/cli/', '/home/u/app/node_modules/ringfence'],
    ['/home/u/app/node_modules/ringfence/dist/cli/sim/cli/commands/replay.js', 'dist/cli/', '/home/u/app/node_modules/ringfence'],
    ['/srv/dist/cli/ringfence/dist/cli/sim/cli/ringfence.js', 'dist/cli/', '/srv/dist/cli/ringfence'],
    ['/w/ringfence/dist/sim/package/layout.js', 'dist/', '/w/ringfence'],
    ['/w/ringfence/elsewhere/layout.js', 'dist/cli/', undefined],
    ['/dist/cli/x.js', 'dist/cli/', undefined],
  ];
  it.each(cases)('%s under %s', (file, base, root) => expect(rootBefore(file, base, '/')).toBe(root));
  it('takes the platform separator', () => {
    expect(rootBefore('C:\\u\\ringfence\\dist\\cli\\sim\\cli\\ringfence.js', 'dist/cli/', '\\')).toBe('C:\\u\\ringfence');
  });
});
