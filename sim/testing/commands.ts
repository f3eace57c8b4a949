// Model-based testing for users: the command alphabet of `ringfence fuzz` (random
// system-call sequences run on the kernel model and on the independent reference
// model side by side, with the kernel's invariants checked after every command) as
// fast-check commands a user's suite can run, shrink and extend.

import fc from 'fast-check';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import { createKernel, defaultLoader } from '../syscall/kernel.ts';
import { checkInvariants } from '../check/invariants.ts';
import type { CheckInvariants, FacadeParts } from '../explore/facade.ts';
import { commandArbs, makeSides, startRun, type Model, type Real } from '../explore/fuzz.ts';

/** One command of the alphabet: fast-check's model-based command over both models. */
export type KernelCommand = fc.Command<Model, Real>;
export type { Model as KernelModelState, Real as KernelRealState };

/** An arbitrary of command sequences and the way to run one. */
export interface KernelModel {
  /** Sequences of up to `maxCommands` commands. */
  commands: fc.Arbitrary<Iterable<KernelCommand>>;
  /** Run a sequence on fresh models; throws at the first disagreement or broken invariant. */
  run(commands: Iterable<KernelCommand>): void;
}

const PARTS: FacadeParts = { createKernel, checkInvariants: checkInvariants as unknown as CheckInvariants, defaultLoader };

export function kernelModel(profile: KernelProfile, opts: { maxCommands?: number } = {}): KernelModel {
  const sides = makeSides(PARTS, profile);
  return {
    commands: fc.commands(commandArbs(sides), { maxCommands: opts.maxCommands ?? 20, size: 'max' }),
    run(commands) {
      fc.modelRun(() => startRun(sides), commands);
    },
  };
}
