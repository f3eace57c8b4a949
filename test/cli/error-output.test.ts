// A file full of mistakes gets a bounded report: at most ERRORS_SHOWN errors per
// file, each with a window of its line, then a count of the rest. Before this, every
// error printed its whole source line, so a few long garbage lines made megabytes.

import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';
import { ERRORS_SHOWN } from '../../sim/cli/traces.ts';
import { EXCERPT_WIDTH } from '../../model/errors.ts';

async function replay(text: string) {
  const io = memoryIo({ 'bad.trace': text });
  const code = await main(['replay', 'bad.trace'], io);
  return { code, err: io.stderr };
}

describe('error output of a broken trace file', () => {
  it('shows the first errors with a window of each line and counts the rest', async () => {
    const bad = 200;
    const lines = ['trace t', ...Array.from({ length: bad }, (_, i) => `  sqe r op=NOPE${i} ${'x'.repeat(5000)}`), 'end'];
    const r = await replay(lines.join('\n') + '\n');
    expect(r.code).toBe(2);
    const errors = r.err.split('\n').filter((l) => /^bad\.trace:\d+:\d+: error:/.test(l));
    expect(errors.length).toBe(ERRORS_SHOWN);
    // The count line names how many were left out; with the shown ones it is every error.
    const more = /bad\.trace: (\d+) more errors? not shown/.exec(r.err);
    expect(more).not.toBeNull();
    const total = /bad\.trace: (\d+) errors?; nothing was replayed/.exec(r.err);
    expect(Number(more![1]) + ERRORS_SHOWN).toBe(Number(total![1]));
    expect(Number(total![1])).toBeGreaterThanOrEqual(bad);
    // No printed line is much longer than the excerpt width.
    expect(Math.max(...r.err.split('\n').map((l) => l.length))).toBeLessThan(EXCERPT_WIDTH + 200);
  });

  it('a file with few errors shows them all and no count line', async () => {
    const r = await replay('trace t\n  sqe r op=NOPE\nend\n');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown name `NOPE`");
    expect(r.err).not.toContain('not shown');
  });
});
