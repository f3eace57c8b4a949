// The policy language: located errors for every kind of bad input, and the text and
// JSON forms round-trip (a property over random policies).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../model/policy/parse.ts';
import { printPolicy } from '../../model/policy/print.ts';
import { fromJson, toJson } from '../../model/policy/json.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import type { Policy } from '../../model/policy/ast.ts';
import { policyArb } from '../../sim/testing/policies.ts';
import { conforms } from './schema.ts';

/** The policy without source locations, for comparing. */
const bare = (p: Policy) => JSON.parse(JSON.stringify({ ...p, locs: undefined }, (k, v) => (k === 'loc' ? undefined : v)));

function firstError(src: string) {
  const r = parsePolicy('bad.policy', src);
  if (r.ok) {
    const c = compilePolicy(r.value);
    if (c.ok) throw new Error('no error');
    return c.error[0];
  }
  return r.error[0];
}

describe('located errors', () => {
  const H = 'policy p holder=task kernels=7.0..7.3\n';
  it.each([
    ['syntax in a condition', `${H}allow SOCKET if family in {AF_INET,, AF_INET6}\n`, 2, 36, /unexpected `,`/, 'syntax'],
    ['an unknown constant', `${H}allow SOCKET if family == AF_NOPE\n`, 2, 27, /unknown name `AF_NOPE`/, 'name'],
    ['an unknown opcode', `${H}allow SOKET\n`, 2, 7, /unknown name `SOKET`/, 'name'],
    ['a field the payload lacks', `${H}allow SOCKET if port == 80\n`, 2, 17, /SOCKET has no field `port`/, 'name'],
    ['a field on an opcode without payload', `${H}allow READ if flags has O_CREAT\n`, 2, 15, /READ passes no payload/, 'name'],
    ['a value out of range', `${H}allow CONNECT if port == 70000\n`, 2, 26, /out of range/, 'range'],
    ['socket type with flags', `${H}allow SOCKET if type == SOCK_NONBLOCK\n`, 2, 25, /SOCK_TYPE_MASK/, 'range'],
    ['contradictory rules', `${H}allow SOCKET\ndeny SOCKET\n`, 3, 6, /contradicts or repeats/, 'invalid'],
    ['an empty range', `${H}allow CONNECT if port in {90..80}\n`, 2, 27, /empty/, 'range'],
    ['a missing header', 'allow READ\n', 1, 1, /starts with its header/, 'syntax'],
    ['an unknown kernel', 'policy p holder=task kernels=7.0..8.0\n', 1, 22, /not a kernel profile/, 'syntax'],
    ['CONNECT payload before 7.2', `${H}allow CONNECT if port == 443\n`, 2, 7, /kernel 7.0 passes no CONNECT payload.*7.2, 7.3/, 'invalid'],
    ['filters on 6.18', 'policy p holder=ring kernels=6.18,7.0\nallow READ\n', 2, 7, /kernel 6.18 has no cBPF filters/, 'invalid'],
    ['task holder on 6.18', 'policy p holder=task kernels=6.18\nsqe ops READ\n', 1, 10, /6.18 has no task-level/, 'invalid'],
    ['a rule the SQE list excludes', `${H}allow SOCKET if family == AF_INET\nsqe ops READ\n`, 2, 7, /contradicts `sqe ops`/, 'invalid'],
    ['7.3 task filters without BPF_FILTER in the register list', `${H}allow READ\ndeny rest\nregister ops ENABLE_RINGS\n`, 4, 1, /7.3 checks the task's own register list/, 'invalid'],
  ])('%s', (_, src, line, col, msg, kind) => {
    const e = firstError(src as string);
    expect(`${e.message} (${e.expected})`).toMatch(msg as RegExp);
    expect(e.kind).toBe(kind);
    expect(e.loc?.file).toBe('bad.policy');
    expect([e.loc?.line, e.loc?.col]).toEqual([line, col]);
    expect(e.expected).toBeTruthy();
  });

  it('every bad line is reported, not only the first', () => {
    const r = parsePolicy('bad.policy', 'policy p holder=task kernels=7.3\nallow NOPE\nallow SOCKET if x == 1\nfrobnicate\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((e) => e.loc?.line)).toEqual([2, 3, 4]);
  });
});

describe('round trips', () => {
  it('text -> policy -> text -> policy is the same policy', () => {
    fc.assert(fc.property(policyArb, (p) => {
      const text = printPolicy(p);
      const back = parsePolicy('p.policy', text);
      if (!back.ok) throw new Error(`${back.error[0].message} in\n${text}`);
      expect(bare(back.value)).toEqual(bare(p));
      expect(printPolicy(back.value)).toBe(text);
    }), { numRuns: 300 });
  });

  it('policy -> JSON -> policy is the same policy, and the JSON text re-reads', () => {
    fc.assert(fc.property(policyArb, (p) => {
      const j = JSON.parse(JSON.stringify(toJson(p)));
      const back = fromJson('p.json', j);
      if (!back.ok) throw new Error(back.error[0].message);
      expect(bare(back.value)).toEqual(bare(p));
      expect(toJson(back.value)).toEqual(j);
    }), { numRuns: 300 });
  });

  it('a bad JSON policy names the JSON path', () => {
    const r = fromJson('p.json', { policy: 'p', holder: 'task', kernels: ['7.3'], rest: 'deny', rules: [{ opcode: 'SOCKET', action: 'allow', if: { field: 'port', cmp: '==', value: 1 } }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0].message).toMatch(/at \/rules\/0: SOCKET has no field `port`/);
    const s = fromJson('p.json', { policy: 'p', holder: 'task', kernels: ['7.3'], rest: 'deny', rules: [], extra: 1 });
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.error[0].message).toMatch(/\/extra/);
  });

  const schema = JSON.parse(readFileSync(new URL('../../docs/policy.schema.json', import.meta.url), 'utf8'));
  it('what toJson writes conforms to the published JSON Schema', () => {
    fc.assert(fc.property(policyArb, fc.option(fc.uniqueArray(fc.constantFrom('READ', 'WRITE', 'NOP'), { minLength: 1 })), (p, ops) => {
      const j = { ...toJson(p), ...(ops ? { sqe_ops: ops, sqe_flags: { allowed: 0x14, required: 0 }, register_ops: ['ENABLE_RINGS'] } : {}) };
      expect(conforms(schema, schema, j)).toBeNull();
    }), { numRuns: 200 });
  });
  it('the schema rejects what fromJson rejects for its shape', () => {
    const good = { policy: 'p', holder: 'task', kernels: ['7.3'], rules: [], rest: 'deny' };
    expect(conforms(schema, schema, good)).toBeNull();
    for (const bad of [{ ...good, holder: 'process' }, { ...good, extra: 1 }, { ...good, rules: [{ opcode: 'SOCKET', action: 'allow', if: { field: 'family', cmp: '=~', value: 1 } }] }, { ...good, kernels: [] }]) {
      expect(conforms(schema, schema, bad)).not.toBeNull();
      expect(fromJson('p.json', bad).ok).toBe(false);
    }
  });
});
