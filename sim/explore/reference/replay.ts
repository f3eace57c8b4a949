// Replaying a parsed trace through the reference model: the steps of a trace, and
// the observation the reference states for each (or `unstated`).

import type { KernelProfile } from '../../../model/profile/profiles.ts';
import type { Trace } from '../../trace/ast.ts';
import type { Obs, Step } from '../observe.ts';
import { Reference, type RefOptions } from './model.ts';
import { initialWorld, type World } from './state.ts';

export function traceSteps(trace: Trace): Step[] {
  return trace.commands.map((c) => {
    const { i: _i, task, loc: _l, text: _t, expect: _e, ...body } = c;
    return { task, body: body as Step['body'] };
  });
}

/** The reference's observation for each command, and the world after each. */
export function replayReference(trace: Trace, profile: KernelProfile, opts: RefOptions = {}): { obs: Obs[]; worlds: World[] } {
  const ref = new Reference(profile, opts);
  let w = initialWorld();
  const obs: Obs[] = [];
  const worlds: World[] = [];
  for (const step of traceSteps(trace)) {
    const r = ref.apply(w, step);
    w = r.world;
    obs.push(r.obs);
    worlds.push(w);
  }
  return { obs, worlds };
}
