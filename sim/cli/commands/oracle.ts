// `ringfence oracle`: the same traces on real kernels in qemu. Prints the kernel's
// records, or compares them with the simulator's (--compare, --random), or re-records
// the kernel outputs of the bundled scenarios (--record, `npm run oracle`).

import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getProfile } from '../../../model/profile/profiles.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, intOption, kernelOption, SEED_RANGE, stringOption } from '../options.ts';
import { progress, type Progress } from '../progress.ts';
import { qemuPath } from '../../oracle/boot.ts';
import type { Io } from '../io.ts';
import type { Trace, TraceFile } from '../../trace/ast.ts';
import { findTraceFiles, loadTraceFiles } from '../../trace/load.ts';
import { formatRecords } from '../../trace/records.ts';
import { replayTrace } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { reportLoadFailures } from '../traces.ts';
import { fetchKernel, listAvailableKernels } from '../../oracle/kernels/fetch.ts';
import { oracleProfiles, runOnKernel, traceRunsOn, type RunOptions } from '../../oracle/run.ts';
import { compareTrace, comparisonPassed, describeComparison } from '../../oracle/compare.ts';
import { recordingPath, writeRecording } from '../../oracle/record.ts';
import { where } from '../../report/context.ts';
import { assetPath } from '../../package/layout.ts';
import { randomCampaign } from '../../distributed/oracle-options.ts';

export const SCENARIOS_DIR = assetPath('scenarios');

/** Most random traces one run compares (a thousand take minutes of guest time). */
export const MAX_RANDOM = 100_000;
/** Most qemu guests at once. */
export const MAX_JOBS = 64;

interface Item {
  file: TraceFile;
  trace: Trace;
}

async function compareItems(io: Io, items: Item[], profiles: string[], ro: RunOptions, say: (t: string) => void, bar: Progress): Promise<{ passed: number; failed: number } | number> {
  const opts = replayOptions({ invariants: false });
  let passed = 0;
  let failed = 0;
  for (const p of profiles) {
    const mine = items.filter((it) => traceRunsOn(it.trace, p));
    if (!mine.length) continue;
    bar.update(`oracle: ${p}: running ${mine.length} traces on the real kernel`, true);
    const run = await runOnKernel(mine.map((it) => it.trace), p, ro);
    bar.done();
    if (!run.ok) return reportError(io, run.error);
    io.err(`${p}: ${run.value.release}, ${mine.length} traces, boots ${run.value.bootMs.map((m) => (m / 1000).toFixed(1)).join(' + ')} s (${run.value.accel})`);
    mine.forEach((it, k) => {
      const r = run.value.results[k];
      const sim = replayTrace(it.trace, getProfile(p)!, opts).records;
      const c = compareTrace(it.trace, p, sim, r.records, r.status);
      if (comparisonPassed(c)) passed++;
      else {
        failed++;
        say(describeComparison(c, it.file.source));
      }
    });
  }
  return { passed, failed };
}

export const command = defineCommand({
  name: 'oracle',
  summary: 'replay traces on real kernels in qemu; compare with the simulator, re-record scenarios',
  args: 'FILE...',
  positionals: { min: 0, name: 'trace file' },
  synopsis: ['[--kernel P] [--jobs N] FILE...', '--compare [--kernel P] FILE...', '--random N [--seed S] [--kernel P] [--out DIR] [--shard I/N | --queue URL [--batch B]]',
    '--record [--kernel P]', '--fetch [--kernel P] | --list-kernels'],
  about: `Replays traces on a real Linux kernel booted in qemu (the Debian cloud kernel pinned
for the profile in sim/oracle/kernels/pins.json; fetched and cached on first use).
qemu is looked for before any work is done. On a terminal, progress is shown on
standard error.`,
  options: {
    kernel: kernelOption('profiles (default 7.3; --record and --fetch: all)', { list: true, all: true, names: oracleProfiles }),
    compare: flagOption("replay each trace on the simulator too and show every difference;\nends with 'N passed, M failed'"),
    random: intOption(`compare N random traces (fork trees, task and ring filters, legacy
restrictions, SQEs, links, exits); each mismatch is shrunk to a
minimal trace written to DIR (default .) as oracle-mismatch-*.trace`, { arg: 'N', min: 1, max: MAX_RANDOM }),
    seed: intOption('seed for --random', { arg: 'S', ...SEED_RANGE, default: 1 }),
    out: stringOption('where --random writes shrunk mismatches; with --record, where a FILE outside\nscenarios/ is recorded (DIR/<profile>/)', { arg: 'DIR', complete: 'dir' }),
    record: flagOption('re-record the kernel\'s records of every bundled scenario (or of FILE...,\nunder scenarios/) into scenarios/recorded/<profile>/ and show what changed;\na FILE outside scenarios/ needs --out DIR'),
    jobs: intOption('qemu guests to run at once (default: one per CPU, at most one per\n100 traces)', { arg: 'N', min: 1, max: MAX_JOBS }),
    jit: stringOption('the guest kernel\'s BPF JIT (default on, as Debian ships it); off runs\nthe same programs in the kernel\'s interpreter', { choices: ['on', 'off'], default: 'on' }),
    native: flagOption('run the guest program on this machine\'s own kernel instead of qemu\n(for a host running the profile\'s kernel; needs root for task filters)'),
    fetch: flagOption('only fetch (and cache) the kernels'),
    'list-kernels': flagOption('show what the Debian suites carry now, for re-pinning'),
    shard: stringOption(`--random: check only slice I of N (0 <= I < N) and write its outcomes to
DIR/oracle-slice-I-of-N.json for 'ringfence merge' (default: from
JOB_COMPLETION_INDEX and JOB_COMPLETION_TOTAL when both are set)`, { arg: 'I/N' }),
    queue: stringOption(`--random: cut the campaign into jobs on a Redis queue (redis://HOST:PORT)
that 'ringfence worker' processes run; this process merges their outcomes
and prints what one run prints`, { arg: 'URL' }),
    batch: intOption('traces per queue job', { arg: 'B', min: 1, max: 10_000, default: 100 }),
    json: flagOption('one JSON object with the counts and each difference (plain runs print JSONL records already)'),
  },
  exit: '0 no difference, 1 a difference (or a failed kernel run), 2 bad usage or input',
  async run({ opts: v, args: positionals }, io, cx) {
    const jobs = v.jobs;
    const bpfJit = v.jit !== 'off';
    const ro: RunOptions = { jobs, log: (l) => io.err(l), native: v.native, bpfJit };
    const kernels = v.kernel;
    const profilesArg = (dflt: string[]) => kernels ?? dflt;
    const bar = progress(io, v.json);
    const details: string[] = [];
    const say = (t: string) => (v.json ? details.push(t) : io.out(t));
    const summary = (o: Record<string, unknown>, text: string) => (v.json ? io.out(JSON.stringify({ ...o, details })) : io.out(text));
    // Cheap checks before expensive work: no trace is generated or loaded for a qemu that is not there.
    const needQemu = () => {
      if (v.native) return undefined;
      const q = qemuPath();
      return q.ok ? undefined : reportError(io, q.error);
    };
    if (v['list-kernels']) {
      const l = listAvailableKernels();
      if (!l.ok) return reportError(io, l.error);
      io.out(l.value.join('\n'));
      return EXIT.OK;
    }
    if (v.fetch) {
      const ps = profilesArg(oracleProfiles());
      for (const p of ps) {
        const k = fetchKernel(p, ro.log);
        if (!k.ok) return reportError(io, k.error);
        io.out(`${p}\t${k.value.pin.package}\t${k.value.pin.version}\t${k.value.vmlinux}`);
      }
      return EXIT.OK;
    }

    if (v.random !== undefined) {
      // Cheap checks before expensive work: a coordinator of a queue boots no guest, and the
      // fake guest of the tests (RINGFENCE_FAKE_GUEST) needs no qemu.
      if (v.queue === undefined && !process.env.RINGFENCE_FAKE_GUEST) {
        const missing = needQemu();
        if (missing !== undefined) return missing;
      }
      const ps = profilesArg(['7.3']);
      return randomCampaign(io, { n: v.random, seed: v.seed, profiles: ps, outDir: v.out ?? '.' }, ro, { shard: v.shard, queue: v.queue, batch: v.batch, json: v.json }, cx.help);
    }

    if (v.record) {
      const ps = profilesArg(oracleProfiles());
      const paths = positionals.length ? positionals : findTraceFiles(SCENARIOS_DIR, process.cwd());
      const loaded = loadTraceFiles(io, paths);
      reportLoadFailures(io, loaded.failures);
      if (loaded.failures.length) return EXIT.USAGE;
      const missing = needQemu();
      if (missing !== undefined) return missing;
      // Where each recording goes, before any kernel runs: a file outside scenarios/ needs --out.
      const outDir = v.out;
      for (const file of loaded.files) for (const p of ps) {
        const where = recordingPath(SCENARIOS_DIR, resolve(file.file), p, outDir);
        if (!where.ok) return reportError(io, where.error);
      }
      let changed = 0;
      let unstable = 0;
      let unfinished = 0;
      for (const p of ps) {
        const items = loaded.files.flatMap((file) => file.traces.filter((t) => traceRunsOn(t, p)).map((trace) => ({ file, trace })));
        if (!items.length) continue;
        // Twice: a trace whose kernel records differ between runs is not deterministic.
        bar.update(`oracle: ${p}: recording ${items.length} traces (two runs)`, true);
        const r1 = await runOnKernel(items.map((it) => it.trace), p, ro);
        if (!r1.ok) return reportError(io, r1.error);
        const r2 = await runOnKernel(items.map((it) => it.trace), p, ro);
        bar.done();
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
              say(`${p}: ${items[k].trace.name}: the kernel run did not finish (${x.status}, then ${y.status}); not recorded`);
              continue;
            }
            if (formatRecords(x.records) !== formatRecords(y.records)) {
              unstable++;
              say(`${p}: ${items[k].trace.name}: NOT DETERMINISTIC: two kernel runs gave different records; not recorded`);
              continue;
            }
            recs.push(...x.records);
          }
          if (!recs.length) continue;
          const where = recordingPath(SCENARIOS_DIR, resolve(file.file), p, outDir);
          if (!where.ok) return reportError(io, where.error);
          const ch = writeRecording(where.value, recs);
          if (ch.kind !== 'unchanged') {
            changed++;
            say(`${ch.kind === 'new' ? 'new    ' : 'changed'} ${ch.path}`);
            for (const d of ch.details) say(`  ${d}`);
          }
        }
      }
      summary({ kernels: ps, changed, unstable, unfinished }, `${changed} recording${changed === 1 ? '' : 's'} changed${unstable ? `, ${unstable} non-deterministic trace${unstable === 1 ? '' : 's'}` : ''}${unfinished ? `, ${unfinished} unfinished` : ''}`);
      return unstable || unfinished ? EXIT.FAILED : EXIT.OK;
    }

    if (!positionals.length) return cx.usage('no trace file given');
    const loaded = loadTraceFiles(io, positionals);
    reportLoadFailures(io, loaded.failures);
    if (!loaded.files.length) return EXIT.USAGE;
    const missing = needQemu();
    if (missing !== undefined) return missing;
    const items: Item[] = loaded.files.flatMap((file) => file.traces.map((trace) => ({ file, trace })));

    if (v.compare) {
      const ps = profilesArg(['7.3']);
      const r = await compareItems(io, items, ps, ro, say, bar);
      if (typeof r === 'number') return r;
      summary({ kernels: ps, passed: r.passed, failed: r.failed, fileErrors: loaded.failures.length }, `${r.passed} passed, ${r.failed} failed`);
      if (loaded.failures.length) return EXIT.USAGE;
      return r.failed ? EXIT.FAILED : EXIT.OK;
    }

    const ps = profilesArg(['7.3']);
    let bad = 0;
    for (const p of ps) {
      const mine = items.filter((it) => traceRunsOn(it.trace, p));
      if (!mine.length) continue;
      bar.update(`oracle: ${p}: running ${mine.length} traces on the real kernel`, true);
      const run = await runOnKernel(mine.map((it) => it.trace), p, ro);
      bar.done();
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
});
