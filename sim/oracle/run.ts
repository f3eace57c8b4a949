// Run traces on the real kernel of a profile: fetch the pinned kernel, build the guest,
// lower every trace to the wire form, boot qemu (several guests in parallel when asked)
// and give back each trace's records under its own name.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { rfError, type Result } from '../../model/errors.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import type { Trace, TraceRecord } from '../trace/ast.ts';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { bootGuest, parseGuestOutput, type Accel, type GuestLine } from './boot.ts';
import { buildGuest } from './build.ts';
import { fetchKernel, loadPins } from './kernels/fetch.ts';
import { lowerTrace, wireHeader } from './wire.ts';
import { checkNativePaths, makeScratch } from './native.ts';

/** Profiles the oracle can boot: those with a pinned Debian kernel. */
export function oracleProfiles(): string[] {
  return Object.keys(loadPins());
}

/** Whether a trace is meant for a profile (its `kernels=` list, or every profile). */
export function traceRunsOn(trace: Trace, profile: string): boolean {
  return trace.kernels === null || (trace.kernels as string[]).includes(profile);
}

export interface KernelTraceResult {
  records: TraceRecord[];
  /** The guest's status for the trace: "ok", "timeout at I", "task T died at I", or "missing". */
  status: string;
  /** Guest time spent in the trace, µs. */
  us: number;
}

export interface KernelRun {
  profile: string;
  release: string;
  bpfFilterProbe: number;
  results: KernelTraceResult[];
  /** Wall time of the slowest boot and of the whole run, ms. */
  bootMs: number[];
  wallMs: number;
  accel: Accel | 'native';
}

export interface RunOptions {
  /** qemu guests to run at once (default: defaultJobs). */
  jobs?: number;
  /** Run the guest program directly on this machine's kernel instead of booting qemu. */
  native?: boolean;
  log?: (line: string) => void;
  cmdMs?: number;
  traceMs?: number;
  /** The guest kernel's BPF JIT (default on, as Debian ships it); see BootOptions.bpfJit. */
  bpfJit?: boolean;
  /** Runs the traces instead of qemu (the fake guest of the tests: sim/distributed/fake-guest.ts). */
  guest?: (traces: Trace[], profile: string) => Promise<Result<KernelRun>>;
}

/** Traces a guest should have before booting one more is worth its boot (about 3 s of CPU). */
export const TRACES_PER_GUEST = 100;

/**
 * Guests to boot when not told: one per host CPU (under TCG a guest keeps its CPU busy,
 * since its clock skips its idle time: boot.ts TCG_CLOCK), and at most one per
 * TRACES_PER_GUEST traces.
 */
export function defaultJobs(traces: number, cpus = availableParallelism()): number {
  return Math.max(1, Math.min(cpus, Math.floor(traces / TRACES_PER_GUEST)));
}

/** Run `traces` (each in a fresh world) on the profile's kernel; results are in input order. */
export async function runOnKernel(traces: Trace[], profile: string, o: RunOptions = {}): Promise<Result<KernelRun>> {
  const prof = getProfile(profile);
  if (!prof) return { ok: false, error: rfError('usage', `unknown profile '${profile}'`, undefined, oracleProfiles().join(', ')) };
  if (o.guest) return o.guest(traces, profile);
  const base = bootTimeoutBase();
  if (typeof base === 'string') return { ok: false, error: rfError('usage', base, undefined, 'an integer from 10000 to 3600000') };
  const guest = buildGuest(process.env, o.log);
  if (!guest.ok) return guest;
  if (o.native) return runNative(traces, profile, guest.value, o);
  const kernel = fetchKernel(profile, o.log);
  if (!kernel.ok) return kernel;
  const guestBytes = new Uint8Array(readFileSync(guest.value));
  const t0 = performance.now();
  const jobs = Math.max(1, Math.min(o.jobs ?? defaultJobs(traces.length), traces.length || 1));
  // Contiguous chunks, so each guest's output is in input order.
  const chunks: number[][] = Array.from({ length: jobs }, () => []);
  const per = Math.ceil(traces.length / jobs);
  traces.forEach((_, k) => chunks[Math.min(jobs - 1, Math.floor(k / per))].push(k));
  const boots = await Promise.all(
    chunks.map((idx) => {
      const wire = wireHeader({ cmdMs: o.cmdMs, traceMs: o.traceMs }) + idx.map((k) => lowerTrace(traces[k], prof, `t${k}`)).join('');
      return bootGuest({ vmlinux: kernel.value.vmlinux, guest: guestBytes, wire, timeoutMs: base + 250 * idx.length, bpfJit: o.bpfJit });
    }),
  );
  const results: KernelTraceResult[] = traces.map(() => ({ records: [], status: 'missing', us: 0 }));
  let release = '';
  let probe = NaN;
  const bootMs: number[] = [];
  let accel: Accel | 'native' = 'tcg';
  for (const b of boots) {
    if (!b.ok) return b;
    bootMs.push(b.value.ms);
    accel = b.value.accel;
    release = String(b.value.hello?.release ?? '');
    probe = Number(b.value.hello?.bpf_filter_probe);
    for (const line of b.value.lines) collect(line, traces, results);
  }
  if (release && release !== kernel.value.pin.release) {
    return { ok: false, error: rfError('internal', `booted ${release}, but ${profile} is pinned to ${kernel.value.pin.release}`) };
  }
  return { ok: true, value: { profile, release, bpfFilterProbe: probe, results, bootMs, wallMs: performance.now() - t0, accel } };
}

/** The guest on this machine's own kernel: for hosts whose kernel is the one to check. */
function runNative(traces: Trace[], profile: string, guestPath: string, o: RunOptions): Result<KernelRun> {
  const prof = getProfile(profile)!;
  // The host's files are not the trace's: refuse paths that leave the scratch directory.
  const bad = checkNativePaths(traces);
  if (bad) return { ok: false, error: bad };
  const t0 = performance.now();
  const wire = wireHeader({ cmdMs: o.cmdMs, traceMs: o.traceMs }) + traces.map((t, k) => lowerTrace(t, prof, `t${k}`)).join('');
  const scratch = makeScratch();
  let r: SpawnSyncReturns<string>;
  try {
    r = spawnSync(guestPath, ['-'], { input: wire, encoding: 'utf8', maxBuffer: 1 << 30, cwd: scratch.dir });
  } finally {
    scratch.remove();
  }
  if (r.error || r.status !== 0) {
    return { ok: false, error: rfError('io', `the guest program failed natively: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stdout ?? '').split('\n').filter((l) => l.includes('fatal')).join('\n')}`) };
  }
  const lines = parseGuestOutput(r.stdout);
  const results: KernelTraceResult[] = traces.map(() => ({ records: [], status: 'missing', us: 0 }));
  for (const line of lines) collect(line, traces, results);
  const hello = lines.find((l) => 'hello' in l);
  const wallMs = performance.now() - t0;
  return {
    ok: true,
    value: { profile, release: String(hello?.release ?? ''), bpfFilterProbe: Number(hello?.bpf_filter_probe), results, bootMs: [wallMs], wallMs, accel: 'native' },
  };
}

function traceIndex(wireName: unknown): number {
  const m = /^t(\d+)$/.exec(String(wireName));
  return m ? Number(m[1]) : -1;
}

function collect(line: GuestLine, traces: Trace[], results: KernelTraceResult[]): void {
  if ('end' in line) {
    const k = traceIndex(line.end);
    if (k >= 0 && k < results.length) {
      results[k].status = String(line.status);
      results[k].us = Number(line.us);
    }
    return;
  }
  if (!('trace' in line)) return;
  const k = traceIndex(line.trace);
  if (k < 0 || k >= results.length) return;
  results[k].records.push({ ...(line as unknown as TraceRecord), trace: traces[k].name });
}

/**
 * The whole-boot wall-clock timeout before the per-trace allowance: 90 s, or
 * RINGFENCE_BOOT_TIMEOUT_MS (10 000..3 600 000) on a host so loaded that a TCG guest
 * needs longer (the guest's own timeouts count guest instructions and are unaffected).
 */
function bootTimeoutBase(): number | string {
  const v = process.env.RINGFENCE_BOOT_TIMEOUT_MS;
  if (v === undefined || v === '') return 90_000;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < 10_000 || n > 3_600_000) return `RINGFENCE_BOOT_TIMEOUT_MS=${v} is out of range`;
  return n;
}
