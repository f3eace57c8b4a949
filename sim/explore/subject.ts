// What the explorer explores: anything that starts in a state, takes a step to a
// new state and an observation, has a canonical key, a shape (for the move
// generator) and invariants. Subjects are the reference model, the simulated kernel
// facade, and pairs of them (compare two models, or one model under two profiles).

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
  key(s: S): string;
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
    key: ([sa, sb]) => a.key(sa) + '#' + b.key(sb),
    shape: ([sa]) => a.shape(sa),
    check: ([sa, sb], prev) => [...a.check(sa, prev?.[0] ?? null), ...b.check(sb, prev?.[1] ?? null)],
  };
}

/** The issue for a facade/reference disagreement. */
export function mismatch(step: Step, oa: Obs, ob: Obs, fields: string[]): Issue {
  return { kind: `mismatch ${step.body.c} ${fields.join(',')}`, message: `${step.body.c}: ${obsKey(oa)} but the reference says ${obsKey(ob)}` };
}
