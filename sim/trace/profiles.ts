// Which kernel profiles a trace is meant for: its `kernels=` list, or every profile.

import { PROFILE_NAMES, type ProfileName } from '../../model/profile/profiles.ts';
import type { Trace } from './ast.ts';

export function profilesFor(trace: Trace): ProfileName[] {
  return trace.kernels ?? [...PROFILE_NAMES];
}

export function meantFor(trace: Trace, p: ProfileName): boolean {
  return trace.kernels === null || trace.kernels.includes(p);
}

/** `7.2,7.3` → profile names, or the first unknown name. */
export function parseProfileList(text: string): { ok: true; value: ProfileName[] } | { ok: false; bad: string } {
  const out: ProfileName[] = [];
  for (const k of text.split(',')) {
    if (!(PROFILE_NAMES as string[]).includes(k)) return { ok: false, bad: k };
    out.push(k as ProfileName);
  }
  return { ok: true, value: out };
}
