// `ringfence main` (npm start): replay every bundled scenario under every profile
// it is meant for, print a scenario × profile table with totals, list the
// failures under it, and exit non-zero on any failure.

import { join, relative, sep } from 'node:path';
import { formatError, rfError } from '../../../model/errors.ts';
import { PROFILE_NAMES, getProfile, type ProfileName } from '../../../model/profile/profiles.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, kernelOption, stringOption } from '../options.ts';
import { outcomeJson, reportLoadFailures } from '../traces.ts';
import { findTraceFiles, loadTraceFiles } from '../../trace/load.ts';
import { replayTrace, type ReplayResult } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { meantFor } from '../../trace/profiles.ts';
import { groupedOutcomes, notesOf, verdictOf, type Verdict } from '../../report/outcome.ts';
import { renderTable } from '../../report/table.ts';
import { exitFor } from './replay.ts';
import { assetPath } from '../../package/layout.ts';

const SCENARIOS = assetPath('scenarios');

const CELL: Record<Verdict, string> = { pass: 'pass', fail: 'FAIL', error: 'ERR', invariant: 'INV' };

/** Green pass, red failures, dim dashes (on a terminal only). */
function paintCell(padded: string, raw: string): string {
  const code = raw === 'pass' ? '32' : raw === '–' ? '2' : raw === 'FAIL' || raw === 'ERR' || raw === 'INV' ? '1;31' : '';
  return code ? `\x1b[${code}m${padded}\x1b[0m` : padded;
}

export const command = defineCommand({
  name: 'main',
  summary: 'replay every bundled scenario under its profiles: the scenario × profile table (npm start)',
  positionals: { min: 0, max: 0 },
  about: `Replays every scenario (every *.trace under ${relative(process.cwd(), SCENARIOS) || 'scenarios'}) under every kernel
profile it is meant for (its kernels= list, default all) and prints a table of
scenario × profile: pass, FAIL, ERR (run-time error), INV (invariant violated)
or – (not meant for that profile), with totals; failures are listed under it.`,
  options: {
    dir: stringOption('replay the traces under DIR instead', { arg: 'DIR', complete: 'dir' }),
    kernel: kernelOption('only these profiles (columns)', { arg: 'LIST', list: true, aliases: ['kernels'] }),
    'no-invariants': flagOption('skip the invariant checks after each step'),
    json: flagOption('one JSON object: {"kernels", "results":[{"trace","kernel","verdict",...}], "passed", "runs", ...}'),
  },
  exit: '0 everything passed, 1 a scenario failed, 2 a file has errors, 3 invariant violated',
  async run({ opts: o }, io) {
    const columns = (o.kernel ?? [...PROFILE_NAMES]) as ProfileName[];
    const dir = o.dir ?? SCENARIOS;
    const files = findTraceFiles(dir);
    if (files.length === 0) return reportError(io, rfError('io', `no *.trace files under ${dir}`));
    const opts = replayOptions({ invariants: !o['no-invariants'] });
    const json: Record<string, unknown>[] = [];

    const colour = io.isTty && !process.env.NO_COLOR;
    const t0 = performance.now();
    const loaded = loadTraceFiles(io, files);
    const rows: string[][] = [];
    const failed: { result: ReplayResult; source: string }[] = [];
    const notes: string[] = [];
    const results: ReplayResult[] = [];
    const passes = new Map<ProfileName, number>(columns.map((p) => [p, 0]));
    const runs = new Map<ProfileName, number>(columns.map((p) => [p, 0]));
    const base = relative(process.cwd(), dir);
    for (const f of loaded.files) {
      const label = relative(dir, f.file).split(sep).join('/').replace(/\.trace$/, '');
      const short = label.split('/').pop();
      for (const t of f.traces) {
        const row = [f.traces.length > 1 || t.name !== short ? `${label}:${t.name}` : label];
        for (const p of columns) {
          if (!meantFor(t, p)) { row.push('–'); continue; }
          const r = replayTrace(t, getProfile(p)!, opts);
          results.push(r);
          const v = verdictOf(r);
          if (o.json) json.push(outcomeJson(r, v));
          runs.set(p, runs.get(p)! + 1);
          const note = notesOf(r);
          if (note) notes.push(note);
          if (v === 'pass') passes.set(p, passes.get(p)! + 1);
          else failed.push({ result: r, source: f.source });
          row.push(CELL[v]);
        }
        rows.push(row);
      }
    }
    const ms = performance.now() - t0;
    const failures = groupedOutcomes(failed);
    const total = [...runs.values()].reduce((x, y) => x + y, 0);
    const passed = [...passes.values()].reduce((x, y) => x + y, 0);
    const notRun = rows.length * columns.length - total;
    const fileErrors = loaded.failures.length;
    const code = exitFor(results);
    if (o.json) {
      reportLoadFailures(io, loaded.failures);
      io.out(JSON.stringify({ kernels: columns, scenarios: rows.length, files: loaded.files.length, runs: total, passed, failed: total - passed, notMeant: notRun,
        fileErrors, seconds: Number((ms / 1000).toFixed(2)), results: json, notes }));
      return fileErrors ? Math.max(code, EXIT.USAGE) : code;
    }

    io.out(renderTable({
      header: ['scenario', ...columns],
      rows,
      footer: [['passed', ...columns.map((p) => `${passes.get(p)}/${runs.get(p)}`)]],
      align: ['left', ...columns.map(() => 'center' as const)],
      paint: colour ? paintCell : undefined,
    }));
    io.out('');
    io.out(`${rows.length} scenarios in ${loaded.files.length} files${base ? ` under ${base}` : ''}, ${total} runs: ` +
      `${passed} passed, ${total - passed} failed, ${notRun} not meant for a profile (–)` +
      (fileErrors ? `, ${fileErrors} file${fileErrors === 1 ? '' : 's'} with errors` : '') +
      ` — ${(ms / 1000).toFixed(2)} s`);
    if (notes.length) {
      io.out('');
      for (const n of notes) io.out(n);
    }
    if (failures.length || fileErrors) {
      io.out('');
      io.out('failures:');
      for (const f of failures) io.out('\n' + f);
      for (const lf of loaded.failures) {
        io.out('');
        for (const e of lf.errors) io.out(formatError(e, lf.source));
      }
    }
    return fileErrors ? Math.max(code, EXIT.USAGE) : code;
  },
});
