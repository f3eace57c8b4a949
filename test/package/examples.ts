// The runnable examples of the public API: the @example block of every entry module
// (sim/api/*.ts) and every TypeScript block of README.md that imports 'ringfence...'.
// Each is written out with its 'ringfence/...' imports pointed at the sources, so a
// test can run it exactly as a user would write it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const API = join(ROOT, 'sim', 'api');

/** The entry a specifier names: 'ringfence' -> index, 'ringfence/bpf' -> bpf. */
export const ENTRIES: Record<string, string> = {
  ringfence: 'index', 'ringfence/bpf': 'bpf', 'ringfence/kernel': 'kernel', 'ringfence/policy': 'policy', 'ringfence/testing': 'testing',
};

export interface Example {
  /** Where it is written: "sim/api/bpf.ts" or "README.md:120". */
  where: string;
  code: string;
}

/** The fenced ```ts blocks of a doc comment's @example (leading " * " removed). */
function docExamples(file: string, text: string): Example[] {
  const out: Example[] = [];
  const re = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\s*@/g;
  for (const m of text.matchAll(re)) {
    const lines = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
    const body = lines.join('\n').match(/```ts\n([\s\S]*?)```/);
    if (body) out.push({ where: file, code: body[1] });
  }
  return out;
}

export function apiExamples(): Example[] {
  return readdirSync(API).filter((f) => f.endsWith('.ts')).sort()
    .flatMap((f) => docExamples(`sim/api/${f}`, readFileSync(join(API, f), 'utf8')));
}

export function readmeExamples(): Example[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const out: Example[] = [];
  for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    if (!/from 'ringfence(\/\w+)?'/.test(m[1])) continue;
    out.push({ where: `README.md:${text.slice(0, m.index).split('\n').length}`, code: m[1] });
  }
  return out;
}

/** The example with its package imports pointed at the entry modules' sources (from `dir`). */
export function againstSources(code: string, relToRoot: string): string {
  return code.replace(/from '(ringfence(?:\/\w+)?)'/g, (all, spec: string) => {
    const entry = ENTRIES[spec];
    if (!entry) throw new Error(`an example imports ${spec}, which is no entry of the package`);
    return `from '${relToRoot}/sim/api/${entry}.ts'`;
  });
}
