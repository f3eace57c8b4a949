// `ringfence bench`: run every suite in sim/bench/ (each file exporting `suite`),
// print figures and ratios. Never run by `npm test`.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT } from '../command.ts';
import { defineCommand, flagOption, stringOption } from '../options.ts';
import { fmtNs, type BenchSuite } from '../../bench/harness.ts';
import { moduleDir, MODULE_EXT } from '../../package/layout.ts';

export const command = defineCommand({
  name: 'bench',
  summary: 'run the benchmarks (figures and ratios; never part of npm test)',
  positionals: { min: 0, max: 0 },
  about: `Runs the benchmark suites in sim/bench/ and prints ns per operation (median of
several runs), throughput and memory figures, and the ratios between them.`,
  options: {
    only: stringOption('run only the suites whose name contains NAME (an error when none does);\nsuites that take minutes (explore-full) run only when named exactly', { arg: 'NAME' }),
    json: flagOption('print one JSON object with every figure instead of text'),
  },
  exit: '0 ran, 2 bad usage (such as --only matching no suite)',
  async run({ opts }, io, cx) {
    const only = opts.only;
    const json = opts.json;
    // The suites are modules of this run's own kind: .bench.ts from sources, .bench.js compiled or bundled.
    const dir = moduleDir('sim/bench');
    const files = readdirSync(dir).filter((f) => f.endsWith(`.bench${MODULE_EXT}`)).sort();
    const suites: BenchSuite[] = [];
    for (const f of files) suites.push(((await import(pathToFileURL(join(dir, f)).href)) as { suite: BenchSuite }).suite);
    const chosen = suites.filter((suite) => (suite.optIn ? only === suite.name : !only || suite.name.includes(only)));
    if (chosen.length === 0) return cx.usage(`--only ${only}: no benchmark suite has that name`, `a part of one of ${suites.map((x) => x.name).join(', ')}`);
    const figures: Record<string, unknown>[] = [];
    for (const suite of chosen) {
      if (!json) io.out(`\n== ${suite.name}`);
      await suite.run({
        line: (t) => { if (!json) io.out(t); },
        record(m, note) {
          figures.push({ suite: suite.name, name: m.name, nsPerOp: m.nsPerOp, runs: m.runs, note });
          if (!json) io.out(`  ${m.name.padEnd(52)} ${fmtNs(m.nsPerOp).padStart(11)}${note ? '  ' + note : ''}`);
        },
        figure(name, value, unit, note) {
          figures.push({ suite: suite.name, name, value, unit, note });
          if (!json) io.out(`  ${name.padEnd(52)} ${value.toLocaleString('en-US', { maximumFractionDigits: 2 }).padStart(11)} ${unit}${note ? '  ' + note : ''}`);
        },
      });
    }
    if (json) io.out(JSON.stringify({ node: process.version, figures }));
    return EXIT.OK;
  },
});
