// The guest program run natively on this host (no qemu): every task a real process,
// commands in file order, one record each. The host kernel need not have the cBPF
// filters: these traces use io_uring features every 6.x kernel has.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGuest } from '../../sim/oracle/build.ts';

const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;

function runGuest(wire: string, status = 0): Record<string, unknown>[] {
  const g = buildGuest();
  if (!g.ok) throw new Error(g.error.message);
  const r = spawnSync(g.value, ['-'], { input: wire, encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(status);
  return r.stdout.split('\n').filter((l) => l.startsWith('@@ ')).map((l) => JSON.parse(l.slice(3)) as Record<string, unknown>);
}

const nop = (ring: string, ud: number, flags = 0) => `${ring} 0 ${flags} ${ud} 0 0 0 0 0 0 0 0 0 0`;

describe.skipIf(!hasGcc)('guest program, natively', () => {
  it('runs tasks as processes: a forked child shares the ring, its records come in command order', () => {
    const out = runGuest(`W 1 cmd_ms=5000 trace_ms=10000
T f
0 init ring r 8 0
1 init fork c
2 c sqe ${nop('r', 5)}
3 init sqe ${nop('r', 6)}
4 c submit r
5 c cqes r
6 c exit
7 init cqes r
8 init close r
9 init sqe ${nop('r', 7)}
10 init cqes r
E
`);
    expect(out[0]).toMatchObject({ hello: 'ringfence-guest', wire: 1, pid1: false });
    const recs = out.filter((o) => 'trace' in o);
    expect(recs).toEqual([
      { trace: 'f', i: 0, task: 'init', c: 'ring', ret: 0 },
      { trace: 'f', i: 1, task: 'init', c: 'fork', ret: 0 },
      // The SQ lives in memory both processes map: the child's SQE is the first, init's the second.
      { trace: 'f', i: 2, task: 'c', c: 'sqe', queued: 1, op: 'NOP', ud: '5' },
      { trace: 'f', i: 3, task: 'init', c: 'sqe', queued: 2, op: 'NOP', ud: '6' },
      { trace: 'f', i: 4, task: 'c', c: 'submit', ret: 2, left: 0 },
      { trace: 'f', i: 5, task: 'c', c: 'cqes', cqes: [['5', 0, 0], ['6', 0, 0]] },
      { trace: 'f', i: 6, task: 'c', c: 'exit', ret: 0 },
      { trace: 'f', i: 7, task: 'init', c: 'cqes', cqes: [] },
      { trace: 'f', i: 8, task: 'init', c: 'close', ret: 0 },
      // After close the name still stands for the fd number, which is no ring any more.
      { trace: 'f', i: 9, task: 'init', c: 'sqe', queued: -9, op: 'NOP', ud: '7' },
      { trace: 'f', i: 10, task: 'init', c: 'cqes', ret: -9 },
    ]);
    expect(out.find((o) => 'end' in o)).toMatchObject({ end: 'f', status: 'ok' });
    expect(out[out.length - 1]).toMatchObject({ summary: { traces: 1, ok: 1, failed: 0 } });
  });

  it('starts each trace from a fresh world and reports denied, skipped and cancelled requests', () => {
    const out = runGuest(`W 1
T a
0 init ring r 4 64
1 init sqe ${nop('r', 1)}
2 init submit r
3 init enable r
4 init submit r
5 init cqes r
E
T b
0 init ring r 8 0
1 init sqe ${nop('r', 1, 0x44)}
2 init sqe r 255 0 2 0 0 0 0 0 0 0 0 0 0
3 init sqe ${nop('r', 3)}
4 init submit r
5 init cqes r
6 init setuid 65534
7 init nnp
E
`);
    const recs = out.filter((o) => 'trace' in o).map(({ trace, i, c, ...rest }) => [trace, i, c, rest]);
    expect(recs).toEqual([
      ['a', 0, 'ring', { task: 'init', ret: 0 }],
      ['a', 1, 'sqe', { task: 'init', queued: 1, op: 'NOP', ud: '1' }],
      ['a', 2, 'submit', { task: 'init', ret: -77, left: 1 }], // R_DISABLED: -EBADFD, nothing consumed
      ['a', 3, 'enable', { task: 'init', ret: 0 }],
      ['a', 4, 'submit', { task: 'init', ret: 1, left: 0 }],
      ['a', 5, 'cqes', { task: 'init', cqes: [['1', 0, 0]] }],
      ['b', 0, 'ring', { task: 'init', ret: 0 }],
      ['b', 1, 'sqe', { task: 'init', queued: 1, op: 'NOP', ud: '1' }],
      ['b', 2, 'sqe', { task: 'init', queued: 2, op: '255', ud: '2' }],
      ['b', 3, 'sqe', { task: 'init', queued: 3, op: 'NOP', ud: '3' }],
      // The invalid opcode fails the chain and stops the batch; the head's CQE_SKIP_SUCCESS
      // suppresses the member's CQE (kernel-semantics §4.4), so only the head's -ECANCELED.
      ['b', 4, 'submit', { task: 'init', ret: 2, left: 1 }],
      ['b', 5, 'cqes', { task: 'init', cqes: [['1', -125, 0]] }],
      ['b', 6, 'setuid', { task: 'init', ret: 0 }],
      ['b', 7, 'nnp', { task: 'init', ret: 0 }],
    ]);
  });

  it('reports a malformed wire line with its line number and runs nothing after it', () => {
    const out = runGuest('W 1\nT ok\n0 init nnp\nE\nT x\n0 init ring r 8\nE\n', 2);
    expect(out.filter((o) => !('hello' in o))).toEqual([
      { trace: 'ok', i: 0, task: 'init', c: 'nnp', ret: 0 },
      { end: 'ok', status: 'ok', us: expect.any(Number) },
      { fatal: 'wire line 6: too few operands for: ring' },
    ]);
  });
});
