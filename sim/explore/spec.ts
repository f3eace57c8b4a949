// What to explore, as plain data: a worker thread builds the same subject and
// universe from it that the main thread would (subjects themselves hold closures
// and cannot be sent).

import { getProfile, type KernelProfile } from '../../model/profile/profiles.ts';
import { escapeSubject } from './escapes.ts';
import { referenceSubject } from './reference/subject.ts';
import { makeDiffSubject, makeSubject, type ModelChoice } from './run.ts';
import type { Subject } from './subject.ts';
import { Universe, type UniverseSpec } from './universe.ts';

export type SubjectSpec =
  | { kind: 'model'; model: ModelChoice; profile: string }
  | { kind: 'diff'; model: ModelChoice; a: string; b: string }
  | { kind: 'escapes'; profile: string };

export interface SearchSpec {
  subject: SubjectSpec;
  universe: UniverseSpec;
}

function profile(name: string): KernelProfile {
  const p = getProfile(name);
  if (!p) throw new Error(`internal: unknown profile '${name}' in an exploration spec`);
  return p;
}

/** The profile the universe is built for (the first one of a diff). */
export function universeProfile(s: SubjectSpec): KernelProfile {
  return profile(s.kind === 'diff' ? s.a : s.profile);
}

export async function buildSearch(spec: SearchSpec): Promise<{ subject: Subject<unknown>; universe: Universe; note?: string }> {
  const s = spec.subject;
  const universe = new Universe(spec.universe, universeProfile(s));
  if (s.kind === 'escapes') return { subject: escapeSubject(referenceSubject(profile(s.profile))) as Subject<unknown>, universe };
  if (s.kind === 'diff') {
    const d = await makeDiffSubject(s.model, profile(s.a), profile(s.b));
    return { subject: d.subject, universe, note: d.note };
  }
  const m = await makeSubject(s.model, profile(s.profile));
  return { subject: m.subject, universe, note: m.note };
}
