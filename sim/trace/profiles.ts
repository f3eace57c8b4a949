// Which kernel profiles a trace is meant for: its `kernels=` list, or every profile.

import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type ProfileName } from '../../model/profile/profiles.ts';
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

/**
 * The one rule for the profile a command uses when --kernel is not given: the default
 * profile (7.3), unless the trace's kernels= list leaves it out; then the newest
 * released profile in the list (the list's last entry if none is released).
 */
export function defaultProfile(trace?: Trace): ProfileName {
  if (!trace || !trace.kernels || trace.kernels.includes(DEFAULT_PROFILE)) return DEFAULT_PROFILE;
  const ordered = PROFILE_NAMES.filter((p) => trace.kernels!.includes(p) && getProfile(p)!.release !== null);
  return ordered[ordered.length - 1] ?? trace.kernels[trace.kernels.length - 1];
}
