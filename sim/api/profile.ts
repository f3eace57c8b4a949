// The public entries take a kernel profile by name or as the value itself.

import { getProfile, PROFILE_NAMES, type KernelProfile, type ProfileName } from '../../model/profile/profiles.ts';

/** A kernel profile: its name ('6.18', '7.0' ... '7.3', 'v5') or the profile value. */
export type ProfileLike = ProfileName | KernelProfile;

/** The profile value of a name or value; throws a RangeError for an unknown name (a programming error). */
export function toProfile(p: ProfileLike): KernelProfile {
  if (typeof p !== 'string') return p;
  const v = getProfile(p);
  if (!v) throw new RangeError(`unknown kernel profile '${String(p)}' (known: ${PROFILE_NAMES.join(', ')})`);
  return v;
}
