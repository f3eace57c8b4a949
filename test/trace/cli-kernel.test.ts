// The commands on the real kernel model: explain's narration and diagrams, diff
// between profiles that really differ, and the main job's table and exit codes.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo, processIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

/** Output in memory, files from the disk (main walks a directory). */
function diskIo(files: Record<string, string> = {}) {
  const io = memoryIo(files);
  return { ...io, get stdout() { return io.stdout; }, get stderr() { return io.stderr; }, readFile: (p: string) => (p in files ? io.readFile(p) : processIo.readFile(p)) };
}

async function run(argv: string[], files: Record<string, string> = {}) {
  const io = diskIo(files);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

// The COW difference between 7.2 and 7.3 (real-kernel-oracle.md §5.3).
const COW = `trace cow
  bpf task op=NOP allow => 0
  ring r => 0
  bpf task op=NOP deny => 0
  sqe r op=NOP ud=1
  submit r => 1
  cqes r
end
`;

describe('ringfence explain', () => {
  it('narrates each step with the whole state after it (--full)', async () => {
    const r = await run(['explain', '--kernel', '7.2', '--full', 'c.trace'], { 'c.trace': COW });
    expect(r.code).toBe(0);
    expect(r.out).toContain('trace cow under 7.2 (c.trace:1)');
    expect(r.out).toContain('step 1, line 3: ring r\n  -> ret 0   [as expected]');
    // After the ring: task and ring share T1, refs 2, the ring marked COW on 7.2.
    expect(r.out).toContain('T1 refs 2, held by task init, ring R1 (init:r)');
    expect(r.out).toContain('R1 init:r: no legacy policy, table T1 (cow)');
    // The task's deny lands in the shared table on 7.2: the chain is deny -> allow.
    expect(r.out).toMatch(/NOP: \[#2 deny, refs 1\] -> \[#1 allow, refs 1\]/);
    expect(r.out).toContain('-> CQEs 1:-EACCES');
    expect(r.out).toContain('trace cow under 7.2: every expectation held');
  });

  it('on 7.3 the task copies the table: two tables', async () => {
    const r = await run(['explain', '--kernel', '7.3', '--full', 'c.trace'], { 'c.trace': COW });
    expect(r.out).toContain('-> CQEs 1:0');
    expect(r.out).toMatch(/T2 refs 1, held by task init\n\s+NOP: \[#2 deny, refs 1\] -> \[#1 allow, refs 2\]/);
  });

  it('--dot prints one digraph per step; --mermaid one flowchart per step', async () => {
    const d = await run(['explain', '--kernel', '7.2', '--dot', 'c.trace'], { 'c.trace': COW });
    expect(d.code).toBe(0);
    expect(d.out.match(/^digraph /gm)).toHaveLength(6);
    expect(d.out).toContain('ring_1 -> table_1 [label="COW", color="#b3261e", penwidth=2];');
    expect(d.out).toContain('table_1 -> node_2 [label="NOP"];');
    expect(d.out).toContain('node_2 -> node_1;');
    // The trace's names, the step's changes and a legend.
    expect(d.out).toContain('label="ring init:r\\nR1"');
    expect(d.out).toMatch(/node_2 \[shape=box[^\n]*\(changed\)[^\n]*color="#e8590c"/);
    expect(d.out).toContain('subgraph cluster_legend');
    const m = await run(['explain', '--kernel', '7.2', '--mermaid', 'c.trace'], { 'c.trace': COW });
    expect(m.out.match(/^```mermaid$/gm)).toHaveLength(6);
    expect(m.out).toContain('flowchart LR');
    expect(m.out).toContain('table_1 -->|"NOP"| node_2');
    expect(m.out).toContain('classDef changed');
    expect(m.out).toContain('legend[');
  });

  it('marks a failed expectation and exits 1', async () => {
    const r = await run(['explain', '--kernel', '7.3', 'c.trace'], { 'c.trace': COW.replace('cqes r', 'cqes r => 1:-EACCES') });
    expect(r.code).toBe(1);
    expect(r.out).toContain('-> CQEs 1:0   [FAILED: expected => 1:-EACCES]');
  });

  it('bad usage exits 2', async () => {
    expect((await run(['explain'])).code).toBe(2);
    expect((await run(['explain', 'c.trace', '--dot', '--mermaid'], { 'c.trace': COW })).code).toBe(2);
    expect((await run(['explain', 'c.trace', '--trace', 'nope'], { 'c.trace': COW })).code).toBe(2);
  });
});

describe('unmodelled requests', () => {
  it('replay warns when a trace issues an opcode the model gives no real result for', async () => {
    const r = await run(['replay', '--kernel', '7.3', 'u.trace'], { 'u.trace': 'trace u\n  ring r\n  sqe r op=READ fd=0 len=4\n  submit r\n  cqes r\nend\n' });
    expect(r.code).toBe(0);
    expect(r.err).toContain('note: trace u under 7.3 issued READ, which the model does not complete');
    const quiet = await run(['replay', '--kernel', '7.3', 'c.trace'], { 'c.trace': COW });
    expect(quiet.err).toBe('');
  });
});

describe('ringfence diff on the kernel model', () => {
  it('shows the command whose records differ between 7.2 and 7.3, in context', async () => {
    const r = await run(['diff', '--kernels', '7.2,7.3', 'c.trace'], { 'c.trace': COW });
    expect(r.code).toBe(1);
    expect(r.out).toContain('trace cow: 1 command differs');
    expect(r.out).toContain('c.trace:7:3: step 5 (cqes)');
    expect(r.out).toContain('> 7 |   cqes r');
    expect(r.out).toContain('7.2   {"trace":"cow","i":5,"task":"init","c":"cqes","cqes":[["1",-13,0]]}');
    expect(r.out).toContain('7.3   {"trace":"cow","i":5,"task":"init","c":"cqes","cqes":[["1",0,0]]}');
  });
});

describe('ringfence main', () => {
  function dir(files: Record<string, string>): string {
    const d = mkdtempSync(join(tmpdir(), 'rf-main-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(d, name, '..'), { recursive: true });
      writeFileSync(join(d, name), text);
    }
    return d;
  }

  it('a table of scenario × profile with totals; exit 0 when all pass', async () => {
    const d = dir({ 'a.trace': COW.replace('trace cow', 'trace a kernels=7.2'), 'sub/b.trace': 'trace b\n  nnp => 0\nend\n' });
    const r = await run(['main', '--dir', d]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^scenario\s+6\.18\s+7\.0\s+7\.1\s+7\.2\s+7\.3\s+v5$/);
    expect(r.out).toMatch(/^a\s+–\s+–\s+–\s+pass\s+–\s+–$/m);
    expect(r.out).toMatch(/^sub\/b\s+pass\s+pass\s+pass\s+pass\s+pass\s+pass$/m);
    expect(r.out).toMatch(/^passed\s+1\/1\s+1\/1\s+1\/1\s+2\/2\s+1\/1\s+1\/1$/m);
    expect(r.out).toContain('2 scenarios in 2 files');
    expect(r.out).toContain('7 runs: 7 passed, 0 failed, 5 not meant for a profile (–)');
  });

  it('a failure: FAIL in the table, listed under it in context, exit 1', async () => {
    const d = dir({ 'c.trace': COW.replace('cqes r', 'cqes r => 1:-EACCES').replace('trace cow', 'trace cow kernels=7.2,7.3') });
    const r = await run(['main', '--dir', d]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^c:cow\s+–\s+–\s+–\s+pass\s+FAIL\s+–$/m);
    expect(r.out).toContain('2 runs: 1 passed, 1 failed');
    expect(r.out).toContain('failures:');
    expect(r.out).toContain('trace cow under 7.3: expectation failed at step 5');
  });

  it('replay takes a directory for the traces under it', async () => {
    const d = dir({ 'x/a.trace': 'trace a\n  nnp => 0\nend\n', 'b.trace': 'trace b kernels=7.3\n  nnp => 0\nend\n', 'notes.txt': 'not a trace' });
    const r = await run(['replay', '--kernel', '7.3', d]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('pass  b [7.3]\npass  a [7.3]\n2 passed, 0 failed\n');
  });

  it('the same failure under several profiles is listed once', async () => {
    const d = dir({ 'n.trace': 'trace n kernels=7.1,7.2,7.3\n  nnp => 5\nend\n' });
    const r = await run(['main', '--dir', d]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('trace n under 7.1, 7.2, 7.3: expectation failed at step 0');
    expect(r.out.match(/expectation failed/g)).toHaveLength(1);
  });

  it('a scenario file with errors is reported and exits 2', async () => {
    const d = dir({ 'e.trace': 'trace e\n  frob\nend\n' });
    const r = await run(['main', '--dir', d]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('unknown command `frob`');
  });
});
