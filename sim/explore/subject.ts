// What the explorer explores: anything that starts in a state, takes a step to a
// new state and an observation, has a canonical key, a shape (for the move
// generator) and invariants. Subjects are the reference model, the simulated kernel
// facade, and pairs of them (compare two models, or one model under two profiles).

import { KeyBuf } from '../../model/world/key.ts';
import type { Obs, Step } from './observe.ts';
import { obsDiff, obsKey } from './observe.ts';
import type { Shape } from './universe.ts';

/** Something worth reporting about a transition; `kind` groups equivalent ones. */
export interface Issue {
  kind: string;
  message: string;
}

export interface Subject<S> {
  readonly name: string;
  init(): S;
  apply(s: S, step: Step): { s: S; obs: Obs; issues?: Issue[] };
  /**
   * Several steps in a row (a move), as `apply` one after the other would give;
   * optional, for subjects that can skip work between the steps.
   */
  applyAll?(s: S, steps: readonly Step[]): { s: S; obs: Obs[]; issues?: Issue[] };
  /** Write the state's canonical key: equal keys only for states that answer every continuation alike. */
  encode(s: S, out: KeyBuf): void;
  shape(s: S): Shape;
  /** Invariant violations of a state reached from `prev` (empty when none). */
  check(s: S, prev: S | null): string[];
}

/**
 * Two subjects stepped together. `classify` turns a difference between their
 * observations into an issue (a mismatch for model checking, a finding for --diff).
 */
export function pairSubject<A, B>(
  a: Subject<A>, b: Subject<B>,
  classify: (step: Step, oa: Obs, ob: Obs, fields: string[]) => Issue,
): Subject<[A, B]> {
  return {
    name: `${a.name} vs ${b.name}`,
    init: () => [a.init(), b.init()],
    apply([sa, sb], step) {
      const ra = a.apply(sa, step);
      const rb = b.apply(sb, step);
      const issues = [...(ra.issues ?? []), ...(rb.issues ?? [])];
      const fields = obsDiff(ra.obs, rb.obs);
      if (fields.length) issues.push(classify(step, ra.obs, rb.obs, fields));
      return { s: [ra.s, rb.s], obs: ra.obs, issues: issues.length ? issues : undefined };
    },
    applyAll(pair, steps) {
      const [sa, sb] = pair;
      const ra = applySteps(a, sa, steps);
      const rb = applySteps(b, sb, steps);
      const issues = [...(ra.issues ?? []), ...(rb.issues ?? [])];
      steps.forEach((step, i) => {
        const fields = obsDiff(ra.obs[i], rb.obs[i]);
        if (fields.length) issues.push(classify(step, ra.obs[i], rb.obs[i], fields));
      });
      // Both sides unchanged: the same state.
      const next: [A, B] = ra.s === sa && rb.s === sb ? pair : [ra.s, rb.s];
      return { s: next, obs: ra.obs, issues: issues.length ? issues : undefined };
    },
    encode([sa, sb], out) {
      a.encode(sa, out);
      // The two parts are self-delimiting; the mark only keeps them apart when read.
      out.put(-0x7fffffff);
      b.encode(sb, out);
    },
    shape: ([sa]) => a.shape(sa),
    check: ([sa, sb], prev) => [...a.check(sa, prev?.[0] ?? null), ...b.check(sb, prev?.[1] ?? null)],
  };
}

/** The issue for a facade/reference disagreement. */
export function mismatch(step: Step, oa: Obs, ob: Obs, fields: string[]): Issue {
  return { kind: `mismatch ${step.body.c} ${fields.join(',')}`, message: `${step.body.c}: ${obsKey(oa)} but the reference says ${obsKey(ob)}` };
}

/** Run steps on a subject, through applyAll when it has one. */
export function applySteps<S>(subject: Subject<S>, s: S, steps: readonly Step[]): { s: S; obs: Obs[]; issues?: Issue[] } {
  if (subject.applyAll) return subject.applyAll(s, steps);
  const obs: Obs[] = [];
  let issues: Issue[] | undefined;
  for (const step of steps) {
    const r = subject.apply(s, step);
    s = r.s;
    obs.push(r.obs);
    if (r.issues) (issues ??= []).push(...r.issues);
  }
  return issues ? { s, obs, issues } : { s, obs };
}

const keyBuf = new KeyBuf();

/** A state's key as text (tests and tools; the engine never makes one). */
export function keyText<S>(subject: Subject<S>, s: S): string {
  keyBuf.reset();
  subject.encode(s, keyBuf);
  return keyBuf.ints().join(',');
}
