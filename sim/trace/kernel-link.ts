// The one place where trace replay meets the simulated kernel and the invariant
// checker, so commands and tests wire them the same way.

import { rfError, type Result } from '../../model/errors.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { Syscalls } from '../syscall/api.ts';
import type { InvariantCheck, ReplayOptions } from './replay.ts';

type CreateKernel = (profile: KernelProfile, opts?: { invariants?: boolean }) => Syscalls;

// Loaded lazily by path until the model lands, so the trace tools build without it.
const KERNEL_MODULE = '../syscall/kernel.ts';

let cached: CreateKernel | undefined;

async function loadCreateKernel(): Promise<Result<CreateKernel>> {
  if (cached) return { ok: true, value: cached };
  try {
    const mod = (await import(KERNEL_MODULE)) as { createKernel: CreateKernel };
    cached = mod.createKernel;
    return { ok: true, value: cached };
  } catch (e) {
    return { ok: false, error: rfError('internal', `the kernel model (sim/syscall/kernel.ts) cannot be loaded: ${(e as Error).message}`) };
  }
}

/** Replay options with the simulated kernel and, when asked, the invariant checks. */
export async function replayOptions(opts: { invariants: boolean }): Promise<Result<ReplayOptions>> {
  const ck = await loadCreateKernel();
  if (!ck.ok) return ck;
  const create = ck.value;
  const out: ReplayOptions = { createKernel: (p) => create(p, { invariants: opts.invariants }) };
  void (null as unknown as InvariantCheck);
  return { ok: true, value: out };
}
