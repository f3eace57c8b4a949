// `oracle --random N` in its three forms: on this machine (as before), as one static
// slice (`--shard I/N`: writes its outcomes for `ringfence merge`), or cut into jobs
// on a queue (`--queue URL`: workers run them, this process merges). All three end
// in renderCampaign, so they print the same text for the same campaign.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { rfError, type Result } from '../../model/errors.ts';
import { EXIT, reportError } from '../cli/command.ts';
import type { Io } from '../cli/io.ts';
import type { RunOptions } from '../oracle/run.ts';
import { campaignJson, mergeOutcomes, renderCampaign, runSlice, shrinkOne, toShrink, writeShrunk, type CampaignSpec, type TraceOutcome } from './campaign.ts';
import { ORACLE_QUEUE, type QueueConnection } from './queue.ts';
import { reachRedis } from './reach.ts';
import { sliceOf, type Shard } from './shard.ts';

/** What a static slice writes: everything `ringfence merge` needs. */
export interface OracleSliceFile {
  format: 'ringfence-oracle-slice/1';
  spec: CampaignSpec;
  shard: Shard;
  outcomes: TraceOutcome[];
}

/**
 * The data of one queue job: traces [from, to) of the campaign on one kernel
 * (a 'batch' job, which gives TraceOutcome[]), or the shrinking of trace `from`
 * there (a 'shrink' job, which gives the TraceOutcome's shrink).
 */
export interface OracleJob {
  spec: CampaignSpec;
  profile: string;
  from: number;
  to: number;
  bpfJit: boolean;
}

type JobResult = TraceOutcome[] | NonNullable<TraceOutcome['shrink']>;

function printRendered(io: Io, profiles: string[], all: TraceOutcome[], spec: CampaignSpec, json: boolean): number {
  const merged = mergeOutcomes(spec, all);
  if (!merged.ok) return reportError(io, merged.error);
  const r = renderCampaign(profiles, merged.value);
  if (!r.ok) return reportError(io, r.error);
  if (r.value.writes.length) mkdirSync(spec.outDir, { recursive: true });
  writeShrunk(r.value);
  if (json) io.out(campaignJson(spec, r.value));
  else for (const l of r.value.lines) io.out(l);
  return r.value.failed ? EXIT.FAILED : EXIT.OK;
}

function runLine(p: string, n: number, spec: CampaignSpec, ro: RunOptions) {
  return (run: { release: string; wallMs: number; accel: string; bootMs: number[] }) =>
    `${p}: ${run.release}, ${n} random traces (seed ${spec.seed}) in ${(run.wallMs / 1000).toFixed(1)} s (${run.accel}, JIT ${ro.bpfJit === false ? 'off' : 'on'}, guests ${run.bootMs.map((m) => (m / 1000).toFixed(1)).join(' + ')} s)`;
}

/** The whole campaign on this machine. */
export async function oracleLocal(io: Io, spec: CampaignSpec, ro: RunOptions, json = false): Promise<number> {
  const all: TraceOutcome[] = [];
  for (const p of spec.profiles) {
    const r = await runSlice(spec, p, 0, spec.n, ro, (run) => io.err(runLine(p, spec.n, spec, ro)(run)));
    if (!r.ok) return reportError(io, r.error);
    all.push(...r.value);
  }
  return printRendered(io, spec.profiles, all, spec, json);
}

export function sliceFileName(s: Shard): string {
  return `oracle-slice-${s.index}-of-${s.count}.json`;
}

/** One static slice: traces sliceOf(n, shard) on every kernel, written to spec.outDir for `ringfence merge`. */
export async function oracleSlice(io: Io, spec: CampaignSpec, shard: Shard, ro: RunOptions, json = false): Promise<number> {
  const { from, to } = sliceOf(spec.n, shard);
  const outcomes: TraceOutcome[] = [];
  for (const p of spec.profiles) {
    if (from === to) continue;
    const r = await runSlice(spec, p, from, to, ro, (run) => io.err(runLine(p, to - from, spec, ro)(run)));
    if (!r.ok) return reportError(io, r.error);
    outcomes.push(...r.value);
  }
  const file: OracleSliceFile = { format: 'ringfence-oracle-slice/1', spec, shard, outcomes };
  mkdirSync(spec.outDir, { recursive: true });
  const path = join(spec.outDir, sliceFileName(shard));
  writeFileSync(path, JSON.stringify(file) + '\n');
  const failed = outcomes.filter((o) => o.verdict === 'failed').length;
  if (json) io.out(JSON.stringify({ shard: `${shard.index}/${shard.count}`, from, to, kernels: spec.profiles, passed: outcomes.filter((o) => o.verdict === 'passed').length, failed, unstable: outcomes.filter((o) => o.verdict === 'unstable').length, wrote: path }));
  else io.out(`slice ${shard.index}/${shard.count}: traces ${from}..${to - 1} on ${spec.profiles.join(', ')}: ${outcomes.length - failed} checked without a difference, ${failed} failed; wrote ${path}`);
  return failed ? EXIT.FAILED : EXIT.OK;
}

/** `ringfence merge` of oracle slices: exactly what one run of the campaign prints. */
export function mergeOracleSlices(io: Io, files: { path: string; data: OracleSliceFile }[], json = false): number {
  const spec = files[0].data.spec;
  const same = JSON.stringify(spec);
  for (const f of files) {
    if (JSON.stringify(f.data.spec) !== same) return reportError(io, rfError('invalid', `${f.path}: a slice of another campaign (${JSON.stringify(f.data.spec)}, not ${same})`));
  }
  return printRendered(io, spec.profiles, files.flatMap((f) => f.data.outcomes), spec, json);
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * The campaign cut into jobs of `batch` traces × one kernel on the queue. Job ids are
 * derived from the campaign, so adding a job twice (a coordinator run again) is a
 * no-op, and a job retried after its worker died gives its outcomes once.
 */
export async function oracleQueue(io: Io, spec: CampaignSpec, ro: RunOptions, connection: QueueConnection, batch: number, json = false): Promise<number> {
  const campaign = createHash('sha256').update(JSON.stringify({ spec, batch, jit: ro.bpfJit !== false })).digest('hex').slice(0, 16);
  const reached = await reachRedis(connection);
  if (!reached.ok) return reportError(io, reached.error);
  const queue = new Queue<OracleJob, JobResult>(ORACLE_QUEUE, { connection });
  const events = new QueueEvents(ORACLE_QUEUE, { connection });
  const jobOpts = (id: string) => ({ jobId: `${campaign}-${id}`, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnFail: false });
  const jit = ro.bpfJit !== false;
  const added: Job<OracleJob, JobResult>[] = [];
  try {
    await events.waitUntilReady();
    const jobs = spec.profiles.flatMap((profile) => {
      const out = [];
      for (let from = 0; from < spec.n; from += batch) {
        out.push({ name: 'batch', data: { spec, profile, from, to: Math.min(spec.n, from + batch), bpfJit: jit }, opts: jobOpts(`${profile}-${from}`) });
      }
      return out;
    });
    // Every job waits on the queue's events: one listener each.
    queue.setMaxListeners(jobs.length + 64);
    events.setMaxListeners(jobs.length + 64);
    added.push(...await queue.addBulk(jobs));
    io.err(`oracle: campaign ${campaign}: ${jobs.length} jobs of up to ${batch} traces on ${spec.profiles.join(', ')} queued on ${connection.host}:${connection.port}`);
    if ((await queue.getWorkersCount()) === 0) io.err(`oracle: no 'ringfence worker' is connected to the queue yet: the jobs wait for one`);
    const t0 = performance.now();
    const total = spec.n * spec.profiles.length;
    const all: TraceOutcome[] = [];
    const seen = new Set<string>();
    let jobsDone = 0, traces = 0, mismatches = 0, last = 0;
    const show = (force = false) => {
      const now = performance.now();
      if (!force && now - last < 2000) return;
      last = now;
      const rate = traces / Math.max((now - t0) / 1000, 1e-3);
      const eta = rate > 0 ? clock(((total - traces) / rate) * 1000) : '?';
      io.err(`oracle: ${jobsDone}/${jobs.length} jobs, ${traces}/${total} traces, ${rate.toFixed(1)} traces/s, ETA ${eta}, ${mismatches} mismatch${mismatches === 1 ? '' : 'es'} so far`);
    };
    const results = await Promise.allSettled(added.map(async (job) => {
      const outcomes = (await job.waitUntilFinished(events)) as TraceOutcome[];
      // A result that arrives twice (never, with one id per job; but cheap to be sure) counts once.
      if (seen.has(job.id!)) return;
      seen.add(job.id!);
      all.push(...outcomes);
      jobsDone++;
      traces += outcomes.length;
      mismatches += outcomes.filter((o) => o.verdict === 'failed').length;
      show();
    }));
    show(true);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) return reportError(io, rfError('io', `a job failed on every attempt: ${String((failed as PromiseRejectedResult).reason?.message ?? (failed as PromiseRejectedResult).reason)}`));
    const merged = mergeOutcomes(spec, all);
    if (!merged.ok) return reportError(io, merged.error);
    // Only the mismatches one run shows shrunk are shrunk, each as a job of its own.
    const shrinks = toShrink(spec.profiles, merged.value);
    if (shrinks.length) {
      io.err(`oracle: shrinking ${shrinks.length} mismatch${shrinks.length === 1 ? '' : 'es'}`);
      const sj = await queue.addBulk(shrinks.map((o) => ({ name: 'shrink', data: { spec, profile: o.profile, from: o.index, to: o.index + 1, bpfJit: jit }, opts: jobOpts(`shrink-${o.profile}-${o.index}`) })));
      added.push(...sj);
      const done = await Promise.allSettled(sj.map((j) => j.waitUntilFinished(events)));
      for (let k = 0; k < shrinks.length; k++) {
        const d = done[k];
        if (d.status === 'rejected') return reportError(io, rfError('io', `shrinking trace ${shrinks[k].index} on ${shrinks[k].profile} failed on every attempt: ${String(d.reason?.message ?? d.reason)}`));
        shrinks[k].shrink = d.value as NonNullable<TraceOutcome['shrink']>;
      }
    }
    const code = printRendered(io, spec.profiles, merged.value, spec, json);
    // Done: the campaign's jobs go, so running it again runs it again.
    await Promise.all(added.map((j) => j.remove().catch(() => undefined)));
    return code;
  } finally {
    await events.close();
    await queue.close();
  }
}

/** The oracle side of `ringfence worker`: run batches as they come. */
export function oracleWorker(connection: QueueConnection, ro: RunOptions, o: { concurrency: number; lockMs: number; log: (l: string) => void }): Worker {
  return new Worker<OracleJob, JobResult>(ORACLE_QUEUE, async (job) => {
    const d = job.data;
    const run = { ...ro, bpfJit: d.bpfJit };
    if (job.name === 'shrink') {
      o.log(`worker: ${job.id}: shrinking trace ${d.from} on ${d.profile}`);
      const s = await shrinkOne(d.spec, d.profile, d.from, run);
      if (!s.ok) throw new Error(`${s.error.kind}: ${s.error.message}`);
      return s.value;
    }
    o.log(`worker: ${job.id}: traces ${d.from}..${d.to - 1} on ${d.profile}`);
    const r: Result<TraceOutcome[]> = await runSlice(d.spec, d.profile, d.from, d.to, run,
      () => void job.updateProgress({ ran: d.to - d.from }).catch(() => undefined), false);
    if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
    return r.value;
  }, { connection, concurrency: o.concurrency, lockDuration: o.lockMs, stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)), maxStalledCount: 3 });
}
