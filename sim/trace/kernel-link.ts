// The one place where trace replay meets the simulated kernel and its invariant
// checks, so every command and test wires them the same way.

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { createKernel } from '../syscall/kernel.ts';
import type { InvariantCheck, ReplayOptions } from './replay.ts';

/** What the kernel model offers beyond Syscalls: the invariant violations it saw. */
interface KernelExtras {
  readonly violations?: readonly { message: string; state: string; knownKernelBug?: string }[];
}

/**
 * The kernel checks its invariants after every call when asked; after each trace
 * command the replayer takes the violations that are new since the last one.
 * Violations that reproduce a known bug of the profile's real kernel are not
 * the simulator's fault and are left out.
 */
export function violationsSince(): InvariantCheck {
  const seen = new WeakMap<object, number>();
  return (k) => {
    const all = (k as KernelExtras).violations ?? [];
    const from = seen.get(k) ?? 0;
    seen.set(k, all.length);
    return all.slice(from).filter((v) => !v.knownKernelBug).map((v) => ({ message: v.message, state: v.state }));
  };
}

/** Replay options with the simulated kernel and, when asked, its invariant checks. */
export function replayOptions(opts: { invariants: boolean }): ReplayOptions {
  const out: ReplayOptions = { createKernel: (p: KernelProfile) => createKernel(p, { invariants: opts.invariants }) };
  if (opts.invariants) out.invariants = violationsSince();
  return out;
}
