// The requests a policy's trace probes with: for every field a rule names, each value
// just inside and just outside each bound, each flag bit on and off; SOCKET types
// with SOCK_NONBLOCK/SOCK_CLOEXEC (the 7.3 masking); and one request of every other
// opcode the simulator models, left to the default.

import { OP, opcodeName } from '../../model/abi/opcodes.ts';
import { O } from '../../model/abi/net.ts';
import type { Cond, Policy } from '../../model/policy/ast.ts';
import { findPolicyField } from '../../model/policy/fields.ts';

export interface Probe {
  opcode: number;
  /** The `sqe` fields after `op=... ud=...`. */
  fields: string;
  why: string;
}

type Vals = Record<string, number>;

const BASE: Record<number, Vals> = {
  [OP.SOCKET]: { family: 2, type: 1, protocol: 0 },
  [OP.OPENAT]: { flags: 0, mode: 0, resolve: 0 },
  [OP.OPENAT2]: { flags: 0, mode: 0, resolve: 0 },
  [OP.CONNECT]: { family: 2, port: 80, addr: 0x7f000001 },
};

/** Opcodes without a rule (or with an unconditional one) get one plain request each. */
const DEFAULT_PROBES: [number, string][] = [
  [OP.NOP, ''],
  [OP.CLOSE, 'fd=999'],
];

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');

function sqeFields(op: number, v: Vals): string {
  switch (op) {
    case OP.SOCKET: return `domain=${v.family > 0x7fffffff ? v.family - 2 ** 32 : v.family} type=${hex(v.type)} protocol=${v.protocol}`;
    // dfd 999 is not open: an allowed request fails at issue with -EBADF, after the filters.
    case OP.OPENAT: return `dfd=999 path=x oflags=${hex(v.flags)} mode=${hex(v.mode)}`;
    case OP.OPENAT2: return `dfd=999 path=x oflags=${hex(v.flags)} mode=${hex(v.mode)} resolve=${hex(v.resolve)}`;
    case OP.CONNECT: return `fd=999 family=${v.family} port=${v.port} addr4=${ip(v.addr)}`;
    case OP.NOP: return '';
  }
  // Any other opcode names fd 999, which is not open: with fd 0 (the default) a READ or
  // RECV waits on the guest's console for input that never comes, and the real-kernel
  // run times out. An allowed request fails at its file lookup, after the filters.
  return 'fd=999';
}

function bounds(c: Cond, out: Map<string, Set<number>>): void {
  switch (c.k) {
    case 'and': case 'or': bounds(c.a, out); bounds(c.b, out); return;
    case 'not': bounds(c.x, out); return;
  }
  const s = out.get(c.field) ?? new Set<number>();
  out.set(c.field, s);
  const near = (v: number) => { for (const d of [-1, 0, 1]) s.add(v + d); };
  if (c.k === 'cmp') near(c.value);
  else if (c.k === 'in') for (const i of c.items) { near(i.lo); near(i.hi); }
  else {
    // Each bit on its own, all of them, and none.
    for (let b = 0; b < 32; b++) if ((c.bits >>> b) & 1) s.add(2 ** b);
    s.add(c.bits); s.add(0);
  }
}

export function probesFor(p: Policy): Probe[] {
  const out: Probe[] = [];
  const seen = new Set<string>();
  const add = (opcode: number, fields: string, why: string) => {
    const key = `${opcode} ${fields}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ opcode, fields, why });
  };
  for (const r of p.rules) {
    const base = BASE[r.opcode];
    if (!r.cond || !base) { add(r.opcode, sqeFields(r.opcode, base ?? {}), `${r.action} ${opcodeName(r.opcode)}`); continue; }
    add(r.opcode, sqeFields(r.opcode, base), `${opcodeName(r.opcode)} with typical values`);
    const bs = new Map<string, Set<number>>();
    bounds(r.cond, bs);
    for (const [field, vals] of bs) {
      const f = findPolicyField(r.opcode, field)!;
      const max = f.member === 'open' ? 0xffffffff : f.mask ?? f.max;
      for (const v of [...vals].sort((a, b) => a - b)) {
        if (v < 0 || v > max) continue;
        add(r.opcode, sqeFields(r.opcode, { ...base, [field]: v }), `${opcodeName(r.opcode)} ${field}=${hex(v)}: a boundary of the condition`);
        if (r.opcode === OP.SOCKET && field === 'type') {
          for (const fl of [0x800, 0x80000]) add(r.opcode, sqeFields(r.opcode, { ...base, type: v | fl }), `${opcodeName(r.opcode)} type=${hex(v | fl)}: flags the policy does not see (7.3 masks them; the filter masks them on 7.0-7.2)`);
        }
      }
    }
    // O_CREAT makes the kernel pass a mode; probe it on and off whatever the rule says.
    if (r.opcode === OP.OPENAT || r.opcode === OP.OPENAT2) add(r.opcode, sqeFields(r.opcode, { ...base, flags: O.O_CREAT | O.O_WRONLY, mode: 0o644 }), `${opcodeName(r.opcode)} creating a file`);
  }
  const ruled = new Set(p.rules.map((r) => r.opcode));
  for (const [op, fields] of [...DEFAULT_PROBES, ...Object.entries(BASE).map(([o, v]) => [Number(o), sqeFields(Number(o), v)] as [number, string])]) {
    if (!ruled.has(op)) add(op, fields, `${opcodeName(op)}: no rule, the default (${p.rest} rest)`);
  }
  return out;
}
