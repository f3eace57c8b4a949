// One table of the symbolic names that traces and assembler immediates accept
// (trace-format.md, "Lexical rules"), each with its category, so a parser can say
// what kind of name it expected.

import { OPCODE_NAMES } from './opcodes.ts';
import { REGISTER_OP_NAMES } from './register.ts';
import { SETUP_FLAGS, SQE_FLAGS, SQE_FLAG_ALIASES, FILTER_FLAGS } from './flags.ts';
import { ERRNO, ERRNO_ALIASES } from './errno.ts';
import { AF, SOCK, IPPROTO, O, RESOLVE } from './net.ts';

export type SymbolKind =
  | 'opcode' | 'register_op' | 'setup_flag' | 'sqe_flag' | 'filter_flag' | 'errno'
  | 'af' | 'sock' | 'ipproto' | 'open_flag' | 'resolve';

function table(names: readonly string[]): Map<string, number> {
  return new Map(names.map((n, i) => [n, i]));
}
function fromObject(o: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(o));
}

export const SYMBOLS: Record<SymbolKind, ReadonlyMap<string, number>> = {
  opcode: table(OPCODE_NAMES),
  register_op: table(REGISTER_OP_NAMES),
  setup_flag: fromObject(SETUP_FLAGS),
  sqe_flag: new Map([...Object.entries(SQE_FLAGS), ...Object.entries(SQE_FLAG_ALIASES)]),
  filter_flag: fromObject(FILTER_FLAGS),
  errno: new Map([...Object.entries(ERRNO), ...Object.entries(ERRNO_ALIASES)]),
  af: fromObject(AF),
  sock: fromObject(SOCK),
  ipproto: fromObject(IPPROTO),
  open_flag: fromObject(O),
  resolve: fromObject(RESOLVE),
};

/** Prefixes a user may write in front of a name of that kind; they are stripped. */
const PREFIXES: Partial<Record<SymbolKind, string[]>> = {
  opcode: ['IORING_OP_'],
  register_op: ['IORING_REGISTER_', 'IORING_'],
  setup_flag: ['IORING_SETUP_'],
  sqe_flag: ['IOSQE_'],
  filter_flag: ['IO_URING_BPF_FILTER_'],
};

/** Look a name up in the given kinds, in order. */
export function lookupSymbol(name: string, kinds: readonly SymbolKind[]): number | undefined {
  for (const kind of kinds) {
    const t = SYMBOLS[kind];
    const v = t.get(name);
    if (v !== undefined) return v;
    for (const p of PREFIXES[kind] ?? []) {
      if (name.startsWith(p)) {
        const w = t.get(name.slice(p.length));
        if (w !== undefined) return w;
      }
    }
  }
  return undefined;
}

/** Every kind: what an immediate (`#AF_INET`) may name. Errno names stand for their positive value. */
export const ALL_SYMBOL_KINDS: readonly SymbolKind[] = [
  'opcode', 'register_op', 'setup_flag', 'sqe_flag', 'filter_flag', 'errno',
  'af', 'sock', 'ipproto', 'open_flag', 'resolve',
];

/** Every name of a kind that evaluates to value (for annotations). */
export function namesFor(kind: SymbolKind, value: number): string[] {
  const out: string[] = [];
  for (const [n, v] of SYMBOLS[kind]) if (v === value) out.push(n);
  return out;
}
