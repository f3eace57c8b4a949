// `ringfence oracle`: the same traces on real kernels in qemu. Prints the kernel's
// records, or compares them with the simulator's (--compare, --random), or re-records
// the kernel outputs of the bundled scenarios (--record, `npm run oracle`).

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rfError } from '../../../model/errors.ts';
import { getProfile } from '../../../model/profile/profiles.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import type { Io } from '../io.ts';
import type { Trace, TraceFile } from '../../trace/ast.ts';
import { findTraceFiles, loadTraceFiles } from '../../trace/load.ts';
import { formatRecords } from '../../trace/records.ts';
import { replayTrace } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { reportLoadFailures } from '../traces.ts';
import { fetchKernel, listAvailableKernels, loadPins } from '../../oracle/kernels/fetch.ts';
import { oracleProfiles, runOnKernel, traceRunsOn, type RunOptions } from '../../oracle/run.ts';
import { compareTrace, comparisonPassed, describeComparison } from '../../oracle/compare.ts';
import { recordingPath, writeRecording } from '../../oracle/record.ts';
import { where } from '../../report/context.ts';
import { DISTRIBUTED_ORACLE_OPTIONS, randomCampaign } from '../../distributed/oracle-options.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SCENARIOS_DIR = join(ROOT, 'scenarios');

const USAGE = `usage: ringfence oracle [--kernel P] [--jobs N] FILE...
       ringfence oracle --compare [--kernel P] FILE...
       ringfence oracle --random N [--seed S] [--kernel P] [--out DIR]
                        [--shard I/N | --queue URL [--batch B]]
       ringfence oracle --record [--kernel P]
       ringfence oracle --fetch [--kernel P] | --list-kernels

Replays traces on a real Linux kernel booted in qemu (the Debian cloud kernel pinned
for the profile in sim/oracle/kernels/pins.json; fetched and cached on first use).
  --kernel P     profile: ${Object.keys(loadPins()).join(', ')}, or 'all' (default 7.3;
                 --record: all)
  --compare      replay each trace on the simulator too and show every difference;
                 ends with 'N passed, M failed'
  --random N     compare N random traces (fork trees, task and ring filters, legacy
                 restrictions, SQEs, links, exits); each mismatch is shrunk to a
                 minimal trace written to DIR (default .) as oracle-mismatch-*.trace
  --seed S       seed for --random (default 1)
  --shard I/N    --random: check only slice I of N (0 <= I < N) and write its outcomes to
                 DIR/oracle-slice-I-of-N.json for 'ringfence merge' (default: from
                 JOB_COMPLETION_INDEX and JOB_COMPLETION_TOTAL when both are set)
  --queue URL    --random: cut the campaign into jobs on a Redis queue
                 (redis://HOST:PORT) that 'ringfence worker' processes run; this
                 process merges their outcomes and prints what one run prints
  --batch B      traces per queue job (1..10000, default 100)
  --record       re-record the kernel's records of every bundled scenario into
                 scenarios/recorded/<profile>/ and show what changed
  --jobs N       qemu guests to run at once (default: one per CPU, at most one per
                 100 traces)
  --jit on|off   the guest kernel's BPF JIT (default on, as Debian ships it); off runs
                 the same programs in the kernel's interpreter
  --native       run the guest program on this machine's own kernel instead of qemu
                 (for a host running the profile's kernel; needs root for task filters)
  --fetch        only fetch (and cache) the kernels; --list-kernels shows what the
                 Debian suites carry now, for re-pinning
exit: 0 no difference, 1 a difference (or a failed kernel run), 2 bad usage or input`;

function profilesArg(k: string | undefined, dflt: string[]): string[] | undefined {
  const all = oracleProfiles();
  if (k === undefined) return dflt;
  if (k === 'all') return all;
  const list = k.split(',');
  return list.every((p) => all.includes(p)) ? list : undefined;
}

interface Item {
  file: TraceFile;
  trace: Trace;
}

async function compareItems(io: Io, items: Item[], profiles: string[], ro: RunOptions): Promise<{ passed: number; failed: number } | number> {
  const opts = replayOptions({ invariants: false });
  let passed = 0;
  let failed = 0;
  for (const p of profiles) {
    const mine = items.filter((it) => traceRunsOn(it.trace, p));
    if (!mine.length) continue;
    const run = await runOnKernel(mine.map((it) => it.trace), p, ro);
    if (!run.ok) return reportError(io, run.error);
    io.err(`${p}: ${run.value.release}, ${mine.length} traces, boots ${run.value.bootMs.map((m) => (m / 1000).toFixed(1)).join(' + ')} s (${run.value.accel})`);
    mine.forEach((it, k) => {
      const r = run.value.results[k];
      const sim = replayTrace(it.trace, getProfile(p)!, opts).records;
      const c = compareTrace(it.trace, p, sim, r.records, r.status);
      if (comparisonPassed(c)) passed++;
      else {
        failed++;
        io.out(describeComparison(c, it.file.source));
      }
    });
  }
  return { passed, failed };
}

export const command: Command = {
  name: 'oracle',
  summary: 'replay traces on real kernels in qemu; compare with the simulator, re-record scenarios',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, {
      kernel: { type: 'string' }, compare: { type: 'boolean' }, record: { type: 'boolean' },
      random: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, jobs: { type: 'string' }, jit: { type: 'string' },
      fetch: { type: 'boolean' }, 'list-kernels': { type: 'boolean' }, native: { type: 'boolean' },
      ...DISTRIBUTED_ORACLE_OPTIONS,
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values: v, positionals } = a.value;
    const jobs = v.jobs === undefined ? undefined : Number(v.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) return reportError(io, rfError('usage', `--jobs wants a positive integer, not '${v.jobs}'`), undefined, USAGE);
    if (v.jit !== undefined && v.jit !== 'on' && v.jit !== 'off') return reportError(io, rfError('usage', `--jit takes on or off, not '${v.jit}'`), undefined, USAGE);
    const bpfJit = v.jit !== 'off';
    const ro: RunOptions = { jobs, log: (l) => io.err(l), native: Boolean(v.native), bpfJit };
    const kname = v.kernel as string | undefined;
    const badKernel = () => reportError(io, rfError('usage', `unknown kernel '${kname}'`, undefined, `one of ${oracleProfiles().join(', ')}, or all`), undefined, USAGE);

    if (v['list-kernels']) {
      const l = listAvailableKernels();
      if (!l.ok) return reportError(io, l.error);
      io.out(l.value.join('\n'));
      return EXIT.OK;
    }
    if (v.fetch) {
      const ps = profilesArg(kname, oracleProfiles());
      if (!ps) return badKernel();
      for (const p of ps) {
        const k = fetchKernel(p, ro.log);
        if (!k.ok) return reportError(io, k.error);
        io.out(`${p}\t${k.value.pin.package}\t${k.value.pin.version}\t${k.value.vmlinux}`);
      }
      return EXIT.OK;
    }

    if (v.random !== undefined) {
      const n = Number(v.random);
      const seed = v.seed === undefined ? 1 : Number(v.seed);
      if (!Number.isInteger(n) || n < 1) return reportError(io, rfError('usage', `--random wants a positive count, not '${v.random}'`), undefined, USAGE);
      if (!Number.isInteger(seed)) return reportError(io, rfError('usage', `--seed wants an integer, not '${v.seed}'`), undefined, USAGE);
      const ps = profilesArg(kname, ['7.3']);
      if (!ps) return badKernel();
      return randomCampaign(io, { n, seed, profiles: ps, outDir: (v.out as string | undefined) ?? '.' }, ro, v, USAGE);
    }

    if (v.record) {
      const ps = profilesArg(kname, oracleProfiles());
      if (!ps) return badKernel();
      const paths = positionals.length ? positionals : findTraceFiles(SCENARIOS_DIR, process.cwd());
      const loaded = loadTraceFiles(io, paths);
      reportLoadFailures(io, loaded.failures);
      if (loaded.failures.length) return EXIT.USAGE;
      let changed = 0;
      let unstable = 0;
      let unfinished = 0;
      for (const p of ps) {
        const items = loaded.files.flatMap((file) => file.traces.filter((t) => traceRunsOn(t, p)).map((trace) => ({ file, trace })));
        if (!items.length) continue;
        // Twice: a trace whose kernel records differ between runs is not deterministic.
        const r1 = await runOnKernel(items.map((it) => it.trace), p, ro);
        if (!r1.ok) return reportError(io, r1.error);
        const r2 = await runOnKernel(items.map((it) => it.trace), p, ro);
        if (!r2.ok) return reportError(io, r2.error);
        io.err(`${p}: ${r1.value.release}, ${items.length} traces`);
        for (const file of loaded.files) {
          const recs = [];
          for (let k = 0; k < items.length; k++) {
            if (items[k].file !== file) continue;
            const x = r1.value.results[k];
            const y = r2.value.results[k];
            if (x.status !== 'ok' || y.status !== 'ok') {
              unfinished++;
              io.out(`${p}: ${items[k].trace.name}: the kernel run did not finish (${x.status}, then ${y.status}); not recorded`);
              continue;
            }
            if (formatRecords(x.records) !== formatRecords(y.records)) {
              unstable++;
              io.out(`${p}: ${items[k].trace.name}: NOT DETERMINISTIC: two kernel runs gave different records; not recorded`);
              continue;
            }
            recs.push(...x.records);
          }
          if (!recs.length) continue;
          const ch = writeRecording(recordingPath(SCENARIOS_DIR, join(process.cwd(), file.file), p), recs);
          if (ch.kind !== 'unchanged') {
            changed++;
            io.out(`${ch.kind === 'new' ? 'new    ' : 'changed'} ${ch.path}`);
            for (const d of ch.details) io.out(`  ${d}`);
          }
        }
      }
      io.out(`${changed} recording${changed === 1 ? '' : 's'} changed${unstable ? `, ${unstable} non-deterministic trace${unstable === 1 ? '' : 's'}` : ''}${unfinished ? `, ${unfinished} unfinished` : ''}`);
      return unstable || unfinished ? EXIT.FAILED : EXIT.OK;
    }

    if (!positionals.length) return reportError(io, rfError('usage', 'no trace file given'), undefined, USAGE);
    const loaded = loadTraceFiles(io, positionals);
    reportLoadFailures(io, loaded.failures);
    const items: Item[] = loaded.files.flatMap((file) => file.traces.map((trace) => ({ file, trace })));

    if (v.compare) {
      const ps = profilesArg(kname, ['7.3']);
      if (!ps) return badKernel();
      const r = await compareItems(io, items, ps, ro);
      if (typeof r === 'number') return r;
      io.out(`${r.passed} passed, ${r.failed} failed`);
      if (loaded.failures.length) return EXIT.USAGE;
      return r.failed ? EXIT.FAILED : EXIT.OK;
    }

    const ps = profilesArg(kname, ['7.3']);
    if (!ps) return badKernel();
    let bad = 0;
    for (const p of ps) {
      const mine = items.filter((it) => traceRunsOn(it.trace, p));
      if (!mine.length) continue;
      const run = await runOnKernel(mine.map((it) => it.trace), p, ro);
      if (!run.ok) return reportError(io, run.error);
      run.value.results.forEach((r, k) => {
        if (r.records.length) io.out(formatRecords(r.records).replace(/\n$/, ''));
        if (r.status !== 'ok') {
          bad++;
          io.err(`${mine[k].trace.name} [${p}]: the kernel run did not finish: ${r.status}`);
        }
        // The trace's own expectations, checked against the kernel (no simulator involved).
        for (const f of compareTrace(mine[k].trace, p, r.records, r.records, r.status).kernelExpectations) {
          io.err(`${where(f.command.loc)}: [${p}] the kernel disagrees with the expectation: expected ${f.expected}, kernel gave ${f.actual}`);
        }
      });
    }
    if (loaded.failures.length) return EXIT.USAGE;
    return bad ? EXIT.FAILED : EXIT.OK;
  },
};
