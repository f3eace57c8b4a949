// A stand-in for the qemu guest, for tests of campaigns that are cut into pieces
// (`npm test` boots no kernel). It is deterministic: its "kernel" is the simulator,
// except that it can be told to disagree on every record of one command kind, so the
// campaign has mismatches to report and shrink, and to take some time per trace, so a
// test can kill a worker in the middle of a job.
//
//   RINGFENCE_FAKE_GUEST=sim                   the simulator's records
//   RINGFENCE_FAKE_GUEST=sim,differ=register   ...but every register's ret is changed
//   RINGFENCE_FAKE_GUEST=sim,ms=200            ...and 200 ms of wall time per run (a guest's boot)
//   RINGFENCE_FAKE_GUEST=sim,ms=200,child      ...with a child process (`sleep`) standing in for
//                                              qemu for that time, started as qemu is (bound to
//                                              the worker: sim/oracle/child.ts); its pid is logged

import { rfError, type Result } from '../../model/errors.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import type { Trace } from '../trace/ast.ts';
import { replayTrace } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import type { KernelRun, RunOptions } from '../oracle/run.ts';
import { spawnBound } from '../oracle/child.ts';

export const FAKE_GUEST_ENV = 'RINGFENCE_FAKE_GUEST';

export interface FakeGuest {
  differ?: string;
  ms: number;
  child?: boolean;
}

export function parseFakeGuest(text: string | undefined): Result<FakeGuest | null> {
  if (text === undefined || text === '') return { ok: true, value: null };
  const parts = text.split(',');
  if (parts[0] !== 'sim') return { ok: false, error: rfError('usage', `${FAKE_GUEST_ENV} must start with 'sim', not '${text}'`) };
  const g: FakeGuest = { ms: 0 };
  for (const p of parts.slice(1)) {
    const [k, v] = p.split('=');
    if (k === 'differ' && v) g.differ = v;
    else if (k === 'ms' && /^\d{1,5}$/.test(v ?? '')) g.ms = Number(v);
    else if (k === 'child' && v === undefined) g.child = true;
    else return { ok: false, error: rfError('usage', `${FAKE_GUEST_ENV}: unknown part '${p}' (differ=COMMAND, ms=0..99999, child)`) };
  }
  return { ok: true, value: g };
}

export function fakeGuestRunner(g: FakeGuest): NonNullable<RunOptions['guest']> {
  const opts = replayOptions({ invariants: false });
  return async (traces: Trace[], profile: string): Promise<Result<KernelRun>> => {
    const prof = getProfile(profile);
    if (!prof) return { ok: false, error: rfError('usage', `unknown profile '${profile}'`) };
    const t0 = performance.now();
    // The stand-in guest process lives as long as the run, as qemu would.
    const child = g.child ? spawnBound('sleep', [String(Math.ceil(g.ms / 1000) + 1)], { stdio: 'ignore' }) : undefined;
    if (child) process.stderr.write(`fake guest: child ${child.pid}\n`);
    if (g.ms) await new Promise((res) => setTimeout(res, g.ms));
    child?.kill('SIGKILL');
    const results = traces.map((t) => {
      const records = replayTrace(t, prof, opts).records.map((r) =>
        (r.c === g.differ && r.ret !== undefined ? { ...r, ret: r.ret === 0 ? -1 : 0 } : r));
      return { records, status: 'ok', us: 0 };
    });
    const wallMs = performance.now() - t0;
    return { ok: true, value: { profile, release: `fake-${profile}`, bpfFilterProbe: 0, results, bootMs: [wallMs], wallMs, accel: 'tcg' } };
  };
}

/** The guest runner the environment asks for (undefined: the real qemu guest). */
export function guestFromEnv(env: NodeJS.ProcessEnv = process.env): Result<RunOptions['guest']> {
  const g = parseFakeGuest(env[FAKE_GUEST_ENV]);
  if (!g.ok) return g;
  return { ok: true, value: g.value ? fakeGuestRunner(g.value) : undefined };
}
