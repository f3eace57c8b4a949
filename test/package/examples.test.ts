// Every example the docs show runs, and prints what its comments say: the @example of
// each public entry (sim/api/*.ts, which TypeDoc puts in docs/api/) and the README's.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { againstSources, apiExamples, readmeExamples, ROOT, type Example } from './examples.ts';

const DIR = join(ROOT, 'test', 'package', '.tmp-examples');
mkdirSync(DIR, { recursive: true });
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Run one example as a module; what it printed with console.log, one string per call. */
async function run(ex: Example, n: number): Promise<string[]> {
  const file = join(DIR, `example-${n}.ts`);
  writeFileSync(file, againstSources(ex.code, '../../..'));
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { printed.push(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))).join(' ')); });
  try {
    await import(file);
  } finally {
    spy.mockRestore();
  }
  return printed;
}

const api = apiExamples();

describe('API examples', () => {
  it('every entry has one', () => {
    expect(api.map((e) => e.where)).toEqual(['sim/api/bpf.ts', 'sim/api/index.ts', 'sim/api/kernel.ts', 'sim/api/policy.ts', 'sim/api/testing.ts']);
  });

  const expected: Record<string, (out: string[]) => void> = {
    'sim/api/index.ts': (out) => {
      expect(out[0]).toBe('true');
      expect(out[1].trim().split('\n').map((l) => JSON.parse(l).c)).toEqual(['ring', 'restrict', 'enable', 'sqe', 'submit', 'cqes']);
    },
    'sim/api/bpf.ts': (out) => {
      expect(out[0]).toBe('1');
      expect(out[1]).toContain('ret #1');
    },
    'sim/api/kernel.ts': (out) => expect(out).toEqual(['[{"userData":"1n","res":-13,"flags":0}]']),
    'sim/api/policy.ts': (out) => {
      expect(out[0]).toMatch(/^conditional /);
      expect(out[0]).toContain('family');
    },
    'sim/api/testing.ts': (out) => expect(out).toEqual([]),
  };
  api.forEach((ex, n) => {
    it(`${ex.where} runs and prints what it says`, async () => {
      const out = await run(ex, n);
      expected[ex.where](out);
    });
  });
});

describe('README examples', () => {
  const readme = readmeExamples();
  it('there are some', () => expect(readme.length).toBeGreaterThan(0));
  readme.forEach((ex, n) => {
    it(`${ex.where} runs and prints what its comments say`, async () => {
      const out = await run(ex, 100 + n);
      // `console.log(...); // true`: the printed value is the comment's first word.
      const said = ex.code.split('\n').filter((l) => l.includes('console.log(')).map((l) => l.match(/\/\/\s*([^\s:]+)/)?.[1]);
      expect(out.length).toBe(said.length);
      said.forEach((w, i) => { if (w !== undefined) expect(out[i]).toBe(w); });
    });
  });
});
