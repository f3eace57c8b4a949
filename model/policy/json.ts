// The JSON form of a policy (docs/policy.schema.json), for runtimes that carry the
// policy inside their own configuration. toJson/fromJson round-trip with the text
// form: fromJson checks the shape here and the meaning through the text parser, so
// both forms accept exactly the same policies.

import { rfError, type RfError, type Result } from '../errors.ts';
import { opcodeName } from '../abi/opcodes.ts';
import { registerOpName } from '../abi/register.ts';
import type { Cond, Policy } from './ast.ts';
import { MAX_COMPARISONS, MAX_NESTING, parsePolicy } from './parse.ts';
import { printPolicy } from './print.ts';

export type CondJson =
  | { and: [CondJson, CondJson] } | { or: [CondJson, CondJson] } | { not: CondJson }
  | { field: string; cmp: string; value: number }
  | { field: string; in: [number, number][] } | { field: string; not_in: [number, number][] }
  | { field: string; has: number } | { field: string; lacks: number };

export interface PolicyJson {
  policy: string;
  holder: 'task' | 'ring';
  kernels: string[];
  rules: { opcode: string; action: 'allow' | 'deny'; if?: CondJson }[];
  rest: 'allow' | 'deny';
  sqe_ops?: string[];
  sqe_flags?: { allowed: number; required: number };
  register_ops?: string[];
}

function condJson(c: Cond): CondJson {
  switch (c.k) {
    case 'and': return { and: [condJson(c.a), condJson(c.b)] };
    case 'or': return { or: [condJson(c.a), condJson(c.b)] };
    case 'not': return { not: condJson(c.x) };
    case 'cmp': return { field: c.field, cmp: c.op, value: c.value };
    case 'in': return c.negated ? { field: c.field, not_in: c.items.map((i) => [i.lo, i.hi]) } : { field: c.field, in: c.items.map((i) => [i.lo, i.hi]) };
    case 'has': return { field: c.field, has: c.bits };
    case 'lacks': return { field: c.field, lacks: c.bits };
  }
}

export function toJson(p: Policy): PolicyJson {
  const j: PolicyJson = {
    policy: p.name, holder: p.holder, kernels: [...p.kernels],
    rules: p.rules.map((r) => (r.cond ? { opcode: opcodeName(r.opcode), action: r.action, if: condJson(r.cond) } : { opcode: opcodeName(r.opcode), action: r.action })),
    rest: p.rest,
  };
  if (p.sqeOps) j.sqe_ops = p.sqeOps.map(opcodeName);
  if (p.sqeFlags) j.sqe_flags = { ...p.sqeFlags };
  if (p.registerOps) j.register_ops = p.registerOps.map(registerOpName);
  return j;
}

class Bad { constructor(readonly where: string, readonly what: string) {} }
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown, where: string): number => {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Bad(where, 'an integer 0..4294967295');
  return x;
};
const str = (x: unknown, where: string): string => { if (typeof x !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(x)) throw new Bad(where, 'a name'); return x; };
function only(o: Record<string, unknown>, keys: string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Bad(`${where}/${k}`, `no such member (known: ${keys.join(', ')})`);
}

const CMPS = ['==', '!=', '<', '<=', '>', '>='];

/** The condition in text form (numbers only), for the parser to check. */
function condText(c: unknown, where: string, depth = 0): string {
  if (!isObj(c)) throw new Bad(where, 'a condition object');
  // Deeper than any condition the text form takes (MAX_COMPARISONS, MAX_NESTING): refused
  // here, before the recursion could exhaust the stack.
  if (depth > MAX_COMPARISONS + MAX_NESTING) throw new Bad(where, `a condition nested at most ${MAX_COMPARISONS + MAX_NESTING} deep`);
  if ('and' in c || 'or' in c) {
    const k = 'and' in c ? 'and' : 'or';
    only(c, [k], where);
    const xs = c[k];
    if (!Array.isArray(xs) || xs.length !== 2) throw new Bad(`${where}/${k}`, 'an array of two conditions');
    // `a and b and c` is ((a and b) and c): a left operand of the same kind needs no
    // parentheses, so long chains do not count as nesting in the text form.
    const left = condText(xs[0], `${where}/${k}/0`, depth + 1);
    const sameKind = isObj(xs[0]) && k in xs[0];
    return `${sameKind ? left : `(${left})`} ${k} (${condText(xs[1], `${where}/${k}/1`, depth + 1)})`;
  }
  if ('not' in c) { only(c, ['not'], where); return `not (${condText(c.not, `${where}/not`, depth + 1)})`; }
  const field = str(c.field, `${where}/field`);
  if ('cmp' in c) {
    only(c, ['field', 'cmp', 'value'], where);
    if (typeof c.cmp !== 'string' || !CMPS.includes(c.cmp)) throw new Bad(`${where}/cmp`, `one of ${CMPS.join(' ')}`);
    return `${field} ${c.cmp} ${num(c.value, `${where}/value`)}`;
  }
  for (const k of ['in', 'not_in'] as const) if (k in c) {
    only(c, ['field', k], where);
    const items = c[k];
    if (!Array.isArray(items) || items.length === 0) throw new Bad(`${where}/${k}`, 'a non-empty array of [low, high] pairs');
    const parts = items.map((it, i) => {
      if (!Array.isArray(it) || it.length !== 2) throw new Bad(`${where}/${k}/${i}`, 'a [low, high] pair');
      const lo = num(it[0], `${where}/${k}/${i}/0`), hi = num(it[1], `${where}/${k}/${i}/1`);
      return lo === hi ? `${lo}` : `${lo}..${hi}`;
    });
    return `${field} ${k === 'in' ? 'in' : 'not in'} {${parts.join(', ')}}`;
  }
  for (const k of ['has', 'lacks'] as const) if (k in c) { only(c, ['field', k], where); return `${field} ${k} ${num(c[k], `${where}/${k}`)}`; }
  throw new Bad(where, 'one of and, or, not, cmp, in, not_in, has, lacks');
}

/** A policy from its JSON form; errors name the JSON path (`/rules/2/if/field`). */
export function fromJson(file: string, data: unknown): Result<Policy, RfError[]> {
  const lines: string[] = [];
  const whereOf: string[] = [];
  try {
    if (!isObj(data)) throw new Bad('', 'a policy object');
    only(data, ['policy', 'holder', 'kernels', 'rules', 'rest', 'sqe_ops', 'sqe_flags', 'register_ops', '$schema'], '');
    const name = str(data.policy, '/policy');
    if (data.holder !== 'task' && data.holder !== 'ring') throw new Bad('/holder', '"task" or "ring"');
    if (!Array.isArray(data.kernels) || data.kernels.length === 0) throw new Bad('/kernels', 'a non-empty array of profile names');
    const ks = data.kernels.map((k, i) => { if (typeof k !== 'string' || !/^[0-9v.]+$/.test(k)) throw new Bad(`/kernels/${i}`, 'a profile name'); return k; });
    lines.push(`policy ${name} holder=${data.holder} kernels=${ks.join(',')}`); whereOf.push('/');
    if (!Array.isArray(data.rules)) throw new Bad('/rules', 'an array of rules');
    data.rules.forEach((r, i) => {
      const w = `/rules/${i}`;
      if (!isObj(r)) throw new Bad(w, 'a rule object');
      only(r, ['opcode', 'action', 'if'], w);
      if (r.action !== 'allow' && r.action !== 'deny') throw new Bad(`${w}/action`, '"allow" or "deny"');
      lines.push(`${r.action} ${str(r.opcode, `${w}/opcode`)}${r.if !== undefined ? ` if ${condText(r.if, `${w}/if`)}` : ''}`); whereOf.push(w);
    });
    const list = (k: 'sqe_ops' | 'register_ops', word: string) => {
      if (data[k] === undefined) return;
      const xs = data[k];
      if (!Array.isArray(xs) || xs.length === 0) throw new Bad(`/${k}`, 'a non-empty array of names');
      lines.push(`${word} ${xs.map((x, i) => str(x, `/${k}/${i}`)).join(', ')}`); whereOf.push(`/${k}`);
    };
    list('sqe_ops', 'sqe ops');
    if (data.sqe_flags !== undefined) {
      const f = data.sqe_flags;
      if (!isObj(f)) throw new Bad('/sqe_flags', 'an object with allowed and required');
      only(f, ['allowed', 'required'], '/sqe_flags');
      lines.push(`sqe flags allowed=${num(f.allowed ?? 0, '/sqe_flags/allowed')} required=${num(f.required ?? 0, '/sqe_flags/required')}`); whereOf.push('/sqe_flags');
    }
    list('register_ops', 'register ops');
    if (data.rest !== 'allow' && data.rest !== 'deny') throw new Bad('/rest', '"allow" or "deny"');
    lines.push(`${data.rest} rest`); whereOf.push('/rest');
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: [rfError('syntax', `${file}: at ${e.where || '/'}: not what a policy has there`, undefined, e.what)] };
    throw e;
  }
  const r = parsePolicy(file, lines.join('\n'));
  if (!r.ok) {
    return { ok: false, error: r.error.map((e) => rfError(e.kind, `${file}: at ${whereOf[(e.loc?.line ?? 1) - 1] ?? '/'}: ${e.message}`, undefined, e.expected)) };
  }
  for (const rule of r.value.rules) delete rule.loc;
  return r;
}

/** Text to JSON and back, for the CLI's `--emit json` and tests. */
export function jsonText(p: Policy): string { return JSON.stringify(toJson(p), null, 2) + '\n'; }
export { printPolicy };
