// The programs an exploration universe registers: allow, deny, and one per opcode
// whose answer depends on an argument of the request. Each has assembler text (for
// the traces written out) and instructions (for the simulators).

import type { Insn } from '../../model/bpf/insn.ts';
import { OP } from '../../model/abi/opcodes.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';

export interface UniverseProgram {
  name: string;
  /** bpf_asm text, one instruction per line; empty for the built-ins. */
  asm: string[];
  /** Frozen: registrations keep this array as the node's own (model/filter/table.ts). */
  insns: readonly Insn[];
  /** Which argument of an `io` step changes the answer (for the docs and printer). */
  dependsOn?: string;
}

const ret = (k: number): Insn => ({ code: 0x06, jt: 0, jf: 0, k });

export const ALLOW: UniverseProgram = { name: 'allow', asm: [], insns: Object.freeze([ret(1)]) };
export const DENY: UniverseProgram = { name: 'deny', asm: [], insns: Object.freeze([ret(0)]) };

/**
 * The argument-dependent program for an opcode: SOCKET allows only AF_UNIX (the
 * family word of the payload); every other opcode allows only even user_data.
 */
export function argProgram(op: number, p: KernelProfile): UniverseProgram {
  if (op === OP.SOCKET) {
    return {
      name: 'unix_only',
      asm: ['ld [16]                  # socket.family', 'jeq #AF_UNIX, keep, drop', 'keep: ret #1', 'drop: ret #0'],
      insns: Object.freeze([{ code: 0x20, jt: 0, jf: 0, k: 16 }, { code: 0x15, jt: 0, jf: 1, k: 1 }, ret(1), ret(0)]),
      dependsOn: 'family',
    };
  }
  const udOff = p.ctx.name === 'v5' ? 8 : 0;
  return {
    name: 'even_ud',
    asm: [`ld [${udOff}]                   # user_data, low word`, 'jset #1, drop, keep', 'keep: ret #1', 'drop: ret #0'],
    insns: Object.freeze([{ code: 0x20, jt: 0, jf: 0, k: udOff }, { code: 0x45, jt: 1, jf: 0, k: 1 }, ret(1), ret(0)]),
    dependsOn: 'user_data',
  };
}
