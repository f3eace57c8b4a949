// The text form of a policy, printed so that parsing it gives the same policy back
// (a property test checks the round trip). Values print as symbolic names where one
// name means exactly that value for the field.

import { SYMBOLS, type SymbolKind } from '../abi/symbols.ts';
import { opcodeName } from '../abi/opcodes.ts';
import { registerOpName } from '../abi/register.ts';
import { PROFILE_NAMES } from '../profile/profiles.ts';
import type { Cond, Policy } from './ast.ts';
import { findPolicyField, type PolicyField } from './fields.ts';

const hex = (v: number) => `0x${v.toString(16)}`;

function nameOf(kinds: readonly SymbolKind[], v: number): string | undefined {
  for (const k of kinds) for (const [n, x] of SYMBOLS[k]) if (x === v && !/LOCAL$|NDELAY$/.test(n)) return n;
  return undefined;
}

function valueText(f: PolicyField, v: number): string {
  if (f.ipv4) return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  // Flag words read best in hex, counts and ports in decimal.
  const flagish = f.kinds.includes('open_flag') || f.kinds.includes('resolve') || f.name === 'mode';
  return nameOf(f.kinds, v) ?? (flagish && v > 9 ? hex(v) : String(v));
}

function bitsText(kinds: readonly SymbolKind[], v: number): string {
  const parts: string[] = [];
  for (let b = 0; b < 32; b++) {
    const bit = (1 << b) >>> 0;
    if (!(v & bit)) continue;
    const n = nameOf(kinds, bit);
    if (!n) return hex(v);
    parts.push(n);
  }
  return parts.join('|');
}

export function condText(opcode: number, c: Cond): string {
  const sub = (x: Cond, parens: boolean) => (parens ? `(${condText(opcode, x)})` : condText(opcode, x));
  switch (c.k) {
    case 'and': return `${sub(c.a, c.a.k === 'or')} and ${sub(c.b, c.b.k === 'or' || c.b.k === 'and')}`;
    case 'or': return `${sub(c.a, false)} or ${sub(c.b, c.b.k === 'or')}`;
    case 'not': return `not ${sub(c.x, c.x.k === 'and' || c.x.k === 'or')}`;
  }
  const f = findPolicyField(opcode, c.field)!;
  switch (c.k) {
    case 'cmp': return `${c.field} ${c.op} ${valueText(f, c.value)}`;
    case 'in': return `${c.field} ${c.negated ? 'not in' : 'in'} {${c.items.map((i) => (i.lo === i.hi ? valueText(f, i.lo) : `${valueText(f, i.lo)}..${valueText(f, i.hi)}`)).join(', ')}}`;
    case 'has': case 'lacks': return `${c.field} ${c.k} ${bitsText(f.kinds, c.bits)}`;
  }
}

/** `7.0..7.3` for a run of consecutive profiles. */
export function kernelsText(ks: readonly string[]): string {
  const idx = ks.map((k) => PROFILE_NAMES.indexOf(k as never));
  const out: string[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j] + 1) j++;
    out.push(j > i ? `${ks[i]}..${ks[j]}` : ks[i]);
    i = j + 1;
  }
  return out.join(',');
}

const sqeFlagsText = (v: number) => (v === 0 ? '0' : bitsText(['sqe_flag'], v));

export function printPolicy(p: Policy): string {
  const out = [`policy ${p.name} holder=${p.holder} kernels=${kernelsText(p.kernels)}`];
  for (const r of p.rules) out.push(`${r.action} ${opcodeName(r.opcode)}${r.cond ? ` if ${condText(r.opcode, r.cond)}` : ''}`);
  if (p.sqeOps) out.push(`sqe ops ${p.sqeOps.map(opcodeName).join(', ')}`);
  if (p.sqeFlags) out.push(`sqe flags allowed=${sqeFlagsText(p.sqeFlags.allowed)} required=${sqeFlagsText(p.sqeFlags.required)}`);
  if (p.registerOps) out.push(`register ops ${p.registerOps.map(registerOpName).join(', ')}`);
  out.push(`${p.rest} rest`);
  return out.join('\n') + '\n';
}

