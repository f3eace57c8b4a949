// The compatibility matrix: cells from recorded records checked against the
// trace's expectations, and the checked-in docs/compatibility.md kept current.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compatibilityMatrix, matrixMarkdown } from '../../sim/report/matrix.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

const SRC = `# A file comment.

trace a kernels=7.2,7.3
# What a shows,
# on two lines.
  ring r => 0
  nnp => 0
end

trace b
  ring r => 0
end
`;
const rec = (t: string, i: number, c: string, ret: number) => JSON.stringify({ trace: t, i, task: 'init', c, ret });

describe('compatibilityMatrix', () => {
  it('one row per trace; a cell per recorded kernel: holds, differs, not meant, unrecorded', () => {
    const m = compatibilityMatrix([{ file: 'x.trace', source: SRC }], [
      { profile: '7.3', file: 'x.jsonl', text: [rec('a', 0, 'ring', 0), rec('a', 1, 'nnp', 0), rec('b', 0, 'ring', 0)].join('\n') },
      { profile: '7.2', file: 'x.jsonl', text: [rec('a', 0, 'ring', 0), rec('a', 1, 'nnp', -22)].join('\n') },
    ]);
    expect(m.problems).toEqual([]);
    const [a, b] = m.behaviours;
    expect(a).toMatchObject({ trace: 'a', line: 3, about: 'What a shows, on two lines.', expectations: 2 });
    expect(a.cells['7.3']).toEqual({ status: 'holds' });
    expect(a.cells['7.2'].status).toBe('differs');
    expect(a.cells['7.2'].detail).toContain('line 7: expected 0, the kernel gave -EINVAL');
    expect(a.cells['7.0']).toEqual({ status: 'not-meant' });
    expect(b.cells['7.3']).toEqual({ status: 'holds' });
    expect(b.cells['7.2']).toEqual({ status: 'unrecorded' });
    const md = matrixMarkdown(m);
    expect(md).toContain('| [`a`](../scenarios/x.trace#L3) What a shows, on two lines. | — | — | — | ✗ | ✓ |');
    expect(md).toContain('- `a` (x.trace) on 7.2: line 7: expected 0, the kernel gave -EINVAL');
  });
});

describe('ringfence matrix', () => {
  it('the checked-in docs/compatibility.md is up to date', async () => {
    const io = memoryIo();
    expect(await main(['matrix', '--check'], io)).toBe(0);
  });

  it('--check exits 1 on a stale page; writing makes it current', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rf-matrix-')), 'c.md');
    writeFileSync(out, '# old\n');
    expect(await main(['matrix', '--check', '--out', out], memoryIo())).toBe(1);
    expect(await main(['matrix', '--out', out], memoryIo())).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('# Compatibility matrix');
    expect(await main(['matrix', '--check', '--out', out], memoryIo())).toBe(0);
  });
});
