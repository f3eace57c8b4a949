// Exploration runs as the CLI and the bench start them: pick the subject (the
// simulated kernel, the reference model, or both checked against each other),
// build the universe from options, run the engine, and write findings as traces.

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { formatRet } from '../../model/abi/errno.ts';
import type { Finding } from './engine.ts';
import { loadFacade, facadeSubject } from './facade.ts';
import type { Obs, Step } from './observe.ts';
import { referenceSubject } from './reference/subject.ts';
import { mismatch, pairSubject, type Issue, type Subject } from './subject.ts';
import { toTraceText } from './print.ts';
import type { Universe } from './universe.ts';

export type ModelChoice = 'kernel' | 'reference' | 'both';

export async function makeSubject(model: ModelChoice, profile: KernelProfile): Promise<{ subject: Subject<unknown>; note?: string }> {
  if (model === 'reference') return { subject: referenceSubject(profile) as Subject<unknown> };
  const f = await loadFacade();
  if (!f.ok) {
    return { subject: referenceSubject(profile) as Subject<unknown>, note: `${f.error.message}; exploring the reference model instead` };
  }
  const k = facadeSubject(f.value, profile);
  if (model === 'kernel') return { subject: k as Subject<unknown> };
  return { subject: pairSubject(k, referenceSubject(profile), mismatch) as Subject<unknown> };
}

const show = (v: number | 'fd' | undefined): string => (v === undefined ? '-' : typeof v === 'number' ? formatRet(v) : v);

/** The kind of a difference between two profiles' observations of one command. */
export function diffKind(step: Step, oa: Obs, ob: Obs, fields: string[], a: string, b: string): Issue {
  // Group by what matters: the return value when it differs (pdu follows it), and
  // CQE results with every success (0 or an fd) written as "ok".
  const fs = fields.includes('ret') ? ['ret'] : fields;
  const res = (r: number | 'fd') => (r === 'fd' || r >= 0 ? 'ok' : show(r));
  const val = (o: Obs) => fs.map((f) => f === 'cqes' ? (o.cqes ?? []).map((c) => res(c[1])).join(' ') || 'none' : show(o[f as 'ret'])).join(' ');
  const kind = `${step.body.c} ${fs.join(',')}: ${val(oa)} on ${a}, ${val(ob)} on ${b}`;
  return { kind, message: kind };
}

export async function makeDiffSubject(model: ModelChoice, pa: KernelProfile, pb: KernelProfile):
  Promise<{ subject: Subject<unknown>; a: Subject<unknown>; b: Subject<unknown>; note?: string }> {
  const a = await makeSubject(model === 'both' ? 'kernel' : model, pa);
  const b = await makeSubject(model === 'both' ? 'kernel' : model, pb);
  const subject = pairSubject(a.subject, b.subject, (step, oa, ob, fields) => diffKind(step, oa, ob, fields, pa.name, pb.name));
  return { subject: subject as Subject<unknown>, a: a.subject, b: b.subject, note: a.note };
}

/** The observations of a step sequence on one subject. */
export function observe<S>(subject: Subject<S>, steps: readonly Step[]): Obs[] {
  let s = subject.init();
  return steps.map((step) => {
    const r = subject.apply(s, step);
    s = r.s;
    return r.obs;
  });
}

/** A finding as a v1 trace: commands with what each showed, the problem in the header. */
export function findingTrace(f: Finding, name: string, universe: Universe, header: string[], kernels?: string[], other?: Obs[]): string {
  const last = f.steps.length - 1;
  const notes = f.obs.map((o, i) => (i === last && other ? `${kernels?.[0]}: ${describe(o)}; ${kernels?.[1]}: ${describe(other[i])}` : undefined));
  const expect = f.obs.map((o, i) => (i === last && other ? undefined : o));
  return toTraceText(f.steps, {
    name, kernels, header, expect, notes,
    programText: (n) => { const p = universe.programFor(n); return p && p.asm.length ? p.asm : undefined; },
  });
}

function describe(o: Obs): string {
  if (o.cqes) return o.cqes.length ? o.cqes.map(([u, r]) => `${u}:${show(r)}`).join(' ') : 'no CQE';
  let s = show(o.ret);
  if (o.pdu !== undefined) s += ` pdu=${o.pdu}`;
  if (o.left !== undefined) s += ` left=${o.left}`;
  return s;
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}
