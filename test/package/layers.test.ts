// A public type belongs to the layer that owns it: the system-call facade
// (ringfence/kernel) speaks its own request types and never imports the trace
// language; only ringfence/testing may load fast-check (an optional peer dependency).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const importsOf = (file: string): string[] =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^(?:import|export)[^'";]*?from '([^']+)'/gm)].map((m) => m[1]);

describe('layers', () => {
  it('sim/syscall imports nothing from sim/trace', () => {
    const bad = readdirSync(join(ROOT, 'sim/syscall')).filter((f) => f.endsWith('.ts'))
      .flatMap((f) => importsOf(`sim/syscall/${f}`).filter((s) => s.includes('/trace/')).map((s) => `${f}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('the entry modules other than testing do not reach fast-check', () => {
    // Follow relative imports from each entry; fast-check must not be among them.
    const reach = (start: string): Set<string> => {
      const seen = new Set<string>();
      const todo = [start];
      while (todo.length) {
        const f = todo.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        for (const s of importsOf(f)) {
          if (s.startsWith('.')) todo.push(join(f, '..', s).replace(/\\/g, '/'));
          else seen.add(`package:${s}`);
        }
      }
      return seen;
    };
    for (const e of ['index', 'bpf', 'kernel', 'policy']) expect(reach(`sim/api/${e}.ts`).has('package:fast-check'), e).toBe(false);
    expect(reach('sim/api/testing.ts').has('package:fast-check')).toBe(true);
  });
});
