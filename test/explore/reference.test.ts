// The reference model is a second statement of the semantics: every expectation a
// scenario states must hold in it too (where the reference states that command).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayReference } from '../../sim/explore/reference/replay.ts';
import type { Obs } from '../../sim/explore/observe.ts';
import type { Expectation } from '../../sim/trace/ast.ts';

function traceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'recorded' ? [] : traceFiles(p);
    return f.endsWith('.trace') ? [p] : [];
  });
}

/** Whether an observation satisfies an expectation (fd matches any fd-making result). */
function holds(e: Expectation, c: string, o: Obs): boolean {
  if (e.kind === 'none') return o.cqes !== undefined && o.cqes.length === 0;
  if (e.kind === 'cqes') {
    const got = o.cqes;
    return !!got && got.length === e.cqes.length && e.cqes.every((w, i) => got[i][0] === w.ud.toString() && (w.res === 'fd' ? got[i][1] === 'fd' : got[i][1] === w.res));
  }
  const main = c === 'sqe' ? o.queued : o.ret;
  return main === e.ret && (e.pdu === undefined || o.pdu === e.pdu) && (e.left === undefined || o.left === e.left);
}

describe('the reference model and the scenarios', () => {
  const files = traceFiles(join(import.meta.dirname, '../../scenarios'));
  it('finds scenario files', () => expect(files.length).toBeGreaterThan(3));
  for (const file of files) {
    it(`states what ${file.split('scenarios/')[1]} expects`, () => {
      const parsed = parseTraceFile(file, readFileSync(file, 'utf8'));
      if (!parsed.ok) return; // a file with errors is the parser's tests' business
      const wrong: string[] = [];
      let stated = 0;
      for (const t of parsed.value.traces) {
        for (const k of t.kernels ?? ['6.18', '7.0', '7.1', '7.2', '7.3']) {
          const p = getProfile(k);
          if (!p) continue;
          const { obs } = replayReference(t, p);
          t.commands.forEach((c, i) => {
            if (!c.expect || obs[i].unstated !== undefined) return;
            stated++;
            if (!holds(c.expect, c.c, obs[i])) wrong.push(`${t.name} [${k}] line ${c.loc.line}: ${c.text} => ${c.expect.text}; reference: ${JSON.stringify(obs[i])}`);
          });
        }
      }
      expect(wrong).toEqual([]);
      expect(stated).toBeGreaterThanOrEqual(0);
    });
  }
});
