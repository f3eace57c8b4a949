// How big one condition may be (model/policy/parse.ts MAX_NESTING, MAX_COMPARISONS):
// past the limits a policy is a located input error, never a stack overflow (the
// 1M-input fuzz campaign, seed 2026, compile #96563: 400 open parentheses gave exit 3).

import { describe, expect, it } from 'vitest';
import { MAX_COMPARISONS, MAX_NESTING, parsePolicy } from '../../model/policy/parse.ts';
import { fromJson, toJson } from '../../model/policy/json.ts';

const head = 'policy p holder=task kernels=7.3\n';
const parse = (rule: string) => parsePolicy('p.policy', `${head}${rule}\ndeny rest\n`);

describe('condition size limits', () => {
  it('nesting up to the limit parses; one level more is a located range error', () => {
    const nest = (n: number) => `allow SOCKET if ${'('.repeat(n)}family == 1${')'.repeat(n)}`;
    expect(parse(nest(MAX_NESTING)).ok).toBe(true);
    const r = parse(nest(MAX_NESTING + 1));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0].kind).toBe('range');
      expect(r.error[0].loc).toMatchObject({ file: 'p.policy', line: 2, col: 17 + MAX_NESTING });
    }
    const nots = parse(`allow SOCKET if ${'not '.repeat(5000)}family == 1`);
    expect(nots.ok).toBe(false);
  });

  it('comparisons up to the limit parse; one more is a located range error at the extra one', () => {
    const chain = (n: number) => `allow SOCKET if ${Array.from({ length: n }, (_, i) => `family != ${i % 40}`).join(' and ')}`;
    expect(parse(chain(MAX_COMPARISONS)).ok).toBe(true);
    const r = parse(chain(MAX_COMPARISONS + 1));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0].kind).toBe('range');
      const col = chain(MAX_COMPARISONS).length + ' and '.length + 1;
      expect(r.error[0].loc).toMatchObject({ line: 2, col });
    }
  });

  it('a long and-chain survives the JSON form (chains are not nesting)', () => {
    const rule = `allow SOCKET if ${Array.from({ length: 200 }, (_, i) => `family != ${i % 40}`).join(' and ')}`;
    const p = parse(rule);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const back = fromJson('p.json', JSON.parse(JSON.stringify(toJson(p.value))));
    expect(back.ok).toBe(true);
    if (back.ok) expect(toJson(back.value)).toEqual(toJson(p.value));
  });

  it('a JSON condition nested far too deep is an error naming its path, not a crash', () => {
    let c: unknown = { field: 'family', cmp: '==', value: 1 };
    for (let i = 0; i < 100_000; i++) c = { not: c };
    const r = fromJson('p.json', { policy: 'p', holder: 'task', kernels: ['7.3'], rules: [{ opcode: 'SOCKET', action: 'allow', if: c }], rest: 'deny' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0].message + (r.error[0].expected ?? '')).toMatch(/nested at most|deeper/);
  });
});
