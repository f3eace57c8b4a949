// `ringfence matrix`: the compatibility matrix (sim/report/matrix.ts) from the
// bundled scenarios and their recordings, written to docs/compatibility.md;
// `--check` only compares, so CI fails when the checked-in page is stale.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rfError } from '../../../model/errors.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, stringOption } from '../options.ts';
import { compatibilityMatrix, matrixMarkdown, RECORDED_PROFILES, type RecordingText, type ScenarioText } from '../../report/matrix.ts';
import { PACKAGE_ROOT } from '../../package/layout.ts';

// The package root, the same from the sources, dist/ and the CLI bundle.
const ROOT = PACKAGE_ROOT;

function walk(dir: string, ext: string, skip: string | null = null): string[] {
  const out: string[] = [];
  const go = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (p !== skip) go(p); } else if (e.name.endsWith(ext)) out.push(p);
    }
  };
  go(dir);
  return out;
}

export const command = defineCommand({
  name: 'matrix',
  summary: 'write docs/compatibility.md: each scenario behaviour against each recorded kernel (--check: is it up to date)',
  positionals: { min: 0, max: 0 },
  about: `Builds the compatibility matrix: every behaviour the scenarios pin down (one row
per trace) against every recorded kernel (${RECORDED_PROFILES.join(', ')}), from DIR
(default: the bundled scenarios/) and DIR/recorded/, and writes it as Markdown to
FILE (default: docs/compatibility.md).`,
  options: {
    check: flagOption('write nothing; exit 1 when FILE differs from what would be written'),
    json: flagOption('print the matrix as JSON instead of writing FILE (errors too: {"error":{...}})'),
    scenarios: stringOption('the scenarios directory (default: the bundled scenarios/)', { arg: 'DIR', complete: 'dir' }),
    out: stringOption('the page to write or check (default: docs/compatibility.md)', { arg: 'FILE', complete: 'file' }),
  },
  exit: '0 written or up to date, 1 --check found FILE stale, 2 bad input',
  run({ opts: v }, io, cx) {
    if (v.check && v.json) return cx.usage('--check and --json exclude each other');
    const dir = v.scenarios ?? join(ROOT, 'scenarios');
    const out = v.out ?? join(ROOT, 'docs', 'compatibility.md');
    if (!existsSync(dir)) return reportError(io, rfError('usage', `no scenarios directory ${dir}`));
    const recDir = join(dir, 'recorded');
    const scenarios: ScenarioText[] = walk(dir, '.trace', recDir).map((p) => ({ file: relative(dir, p), source: readFileSync(p, 'utf8') }));
    if (scenarios.length === 0) return reportError(io, rfError('usage', `${dir} holds no .trace file`));
    const recordings: RecordingText[] = [];
    for (const p of RECORDED_PROFILES) {
      const d = join(recDir, p);
      if (!existsSync(d)) continue;
      for (const f of walk(d, '.jsonl')) recordings.push({ profile: p, file: relative(d, f), text: readFileSync(f, 'utf8') });
    }
    const m = compatibilityMatrix(scenarios, recordings);
    if (m.problems.length) {
      for (const p of m.problems) io.err(p);
      return EXIT.USAGE;
    }
    if (v.json) { io.out(JSON.stringify(m, null, 2)); return EXIT.OK; }
    const text = matrixMarkdown(m);
    const old = existsSync(out) ? readFileSync(out, 'utf8') : null;
    if (v.check) {
      if (old === text) { io.out(`${out} is up to date (${m.behaviours.length} behaviours)`); return EXIT.OK; }
      io.err(`${out} is ${old === null ? 'missing' : 'stale'}: run \`ringfence matrix\` and commit the result`);
      return EXIT.FAILED;
    }
    if (old !== text) writeFileSync(out, text);
    io.out(`${out}: ${m.behaviours.length} behaviours x ${m.profiles.length} kernels${old === text ? ' (unchanged)' : ''}`);
    return EXIT.OK;
  },
});
