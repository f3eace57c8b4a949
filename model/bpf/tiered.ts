// Tiering: a program is interpreted while cold and compiled to a JavaScript function
// once it has run HOT_THRESHOLD times. Compiling costs tens of microseconds and V8
// then needs the new function to warm up too, so a program run a few hundred times
// is cheaper to interpret; one run millions of times is much cheaper compiled.

import { assertInsns, type Insn } from './insn.ts';
import type { Decoded, Program } from './program.ts';
import { decode } from './program.ts';
import { execute } from './interpret.ts';
import { compile, type CompiledFilter } from './compile.ts';

/** Runs before a program is compiled (documented in docs/bpf.md). */
export const HOT_THRESHOLD = 1000;

export interface TierOptions {
  /** Runs before compiling: 0 compiles on the first run, Infinity never compiles. */
  hotThreshold?: number;
}

class FilterProgram implements Program {
  run: (ctx: Uint32Array) => number;
  constructor(readonly insns: readonly Insn[], readonly ctxWords: number, run: (ctx: Uint32Array) => number) {
    this.run = run;
  }
}

/**
 * Wrap checked (rewritten) instructions as a Program. `run` starts as the interpreter
 * and replaces itself with the compiled function when hot; a caller that kept the old
 * `run` reference is forwarded to the compiled one.
 */
export function makeProgram(insns: readonly Insn[], ctxWords: number, opts: TierOptions = {}): Program {
  // A library entry point: every field an integer in range before anything runs it
  // (the compiler checks again when it generates code, as the array is the caller's).
  assertInsns(insns, 'makeProgram');
  if (!Number.isInteger(ctxWords) || ctxWords < 0 || ctxWords > 1 << 16) throw new RangeError(`makeProgram: ctxWords ${String(ctxWords)} is not an integer 0..65536`);
  // The Program owns `insns` (validate hands over the fresh rewritten copy); freezing
  // 4,096 small objects would cost more than the whole check.
  // Decoded for the interpreter at the first run, not here: validating is the
  // kernel's check, and a program may be checked and never run (or run compiled).
  let d: Decoded | null = null;
  const interpreted = (ctx: Uint32Array): number => execute(d ?? (d = decode(insns)), ctx);
  const threshold = opts.hotThreshold ?? HOT_THRESHOLD;
  let left = threshold;
  let compiled: CompiledFilter | null = null;
  const p = new FilterProgram(insns, ctxWords, () => 0);
  const cold = (ctx: Uint32Array): number => {
    if (compiled !== null) return compiled(ctx);
    if (--left < 0) {
      compiled = compile(p);
      p.run = compiled;
      return compiled(ctx);
    }
    return interpreted(ctx);
  };
  p.run = threshold === Infinity ? interpreted : cold;
  return p;
}
