// `ringfence bench`: run every suite in sim/bench/ (each file exporting `suite`),
// print figures and ratios. Never run by `npm test`.

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { fmtNs, type BenchSuite } from '../../bench/harness.ts';
import { MODULE_EXT } from '../../package/layout.ts';

const USAGE = `usage: ringfence bench [--only NAME] [--json]

Runs the benchmark suites in sim/bench/ and prints ns per operation (median of
several runs), throughput and memory figures, and the ratios between them.
  --only NAME   run only the suites whose name contains NAME; suites that take
                minutes (explore-full) run only when named exactly
  --json        print one JSON object with every figure instead of text`;

export const command: Command = {
  name: 'bench',
  summary: 'run the benchmarks (figures and ratios; never part of npm test)',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, { only: { type: 'string' }, json: { type: 'boolean' } }, false);
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const only = a.value.values.only as string | undefined;
    const json = Boolean(a.value.values.json);
    // The suites are modules of this run's own kind: .bench.ts from sources, .bench.js compiled.
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../bench');
    const files = readdirSync(dir).filter((f) => f.endsWith(`.bench${MODULE_EXT}`)).sort();
    const figures: Record<string, unknown>[] = [];
    for (const f of files) {
      const { suite } = (await import(pathToFileURL(join(dir, f)).href)) as { suite: BenchSuite };
      if (suite.optIn ? only !== suite.name : only && !suite.name.includes(only)) continue;
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
};
