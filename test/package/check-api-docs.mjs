#!/usr/bin/env node
// CI: docs/api/ (the TypeDoc reference of the public entries) is what the sources
// give now. Regenerates into a temporary directory and compares file by file; a
// stale, missing or extra page fails, with the command that brings it up to date.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const checked = join(root, 'docs', 'api');
const fresh = mkdtempSync(join(tmpdir(), 'ringfence-api-'));

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  try { walk(dir); } catch { /* a missing directory has no files */ }
  return out;
}

try {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', fresh, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    console.error('check-api-docs: typedoc failed');
    process.exit(3);
  }
  const want = files(fresh), have = files(checked);
  const problems = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing: docs/api/${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `extra: docs/api/${f}`),
    ...want.filter((f) => have.includes(f) && readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(checked, f), 'utf8')).map((f) => `stale: docs/api/${f}`),
  ];
  if (problems.length) {
    for (const p of problems) console.error(p);
    console.error('docs/api is out of date with the public entries (sim/api/): run `npm run docs:api` and commit the result');
    process.exit(1);
  }
  console.log(`docs/api is up to date (${want.length} pages)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
