import { describe, expect, it } from 'vitest';
import { diffRecords, normaliseRecords, sameRecords } from '../../sim/trace/compare.ts';
import { canonicalRecord, formatRecord, formatRecords, parseRecords } from '../../sim/trace/records.ts';
import type { TraceRecord } from '../../sim/trace/ast.ts';

const sqe = (i: number, op: string, ud: string): TraceRecord => ({ trace: 't', i, task: 'init', c: 'sqe', queued: 1, op, ud });
const cq = (i: number, cqes: [string, number, number][]): TraceRecord => ({ trace: 't', i, task: 'init', c: 'cqes', cqes });

describe('record text', () => {
  it('orders keys canonically whatever order they were set in', () => {
    const r = { left: 0, ret: 2, c: 'submit', task: 'init', i: 3, trace: 'x' } as unknown as TraceRecord;
    expect(formatRecord(r)).toBe('{"trace":"x","i":3,"task":"init","c":"submit","ret":2,"left":0}');
    expect(Object.keys(canonicalRecord({ trace: 'x', i: 0, task: 'a', c: 'bpf', pdu: 12, ret: 0 }))).toEqual(['trace', 'i', 'task', 'c', 'ret', 'pdu']);
  });

  it('reads back what it writes, skipping non-record lines and the oracle prefix', () => {
    const rs: TraceRecord[] = [
      { trace: 't', i: 0, task: 'init', c: 'ring', ret: 0 },
      sqe(1, 'SOCKET', '18446744073709551615'),
      cq(2, [['18446744073709551615', 5, 0]]),
    ];
    const text = '{"hello":1}\n' + formatRecords(rs).split('\n').map((l, n) => (n === 1 ? '@@ ' + l : l)).join('\n') + '{"c":"trace_end","t":"t"}\n';
    const back = parseRecords('r.jsonl', text);
    expect(back).toEqual({ ok: true, value: rs });
  });

  it('a malformed record is an error located at its line', () => {
    const r = parseRecords('r.jsonl', '{"trace":"t","i":0,"task":"init","c":"ring","ret":0}\n{"trace":"t","i":1,"c":"cqes","cqes":[[1]]}\n{oops\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.loc).toEqual({ file: 'r.jsonl', line: 2, col: 1 });
  });
});

describe('normalisation', () => {
  it('turns non-negative results of fd-producing requests into "fd", nothing else', () => {
    const n = normaliseRecords([
      sqe(0, 'SOCKET', '1'), sqe(1, 'OPENAT', '2'), sqe(2, 'NOP', '3'), sqe(3, 'OPENAT2', '4'),
      cq(4, [['1', 5, 0], ['2', -2, 0], ['3', 7, 0], ['4', 0, 0], ['9', 4, 0]]),
    ]);
    expect(n[4].cqes).toEqual([['1', 'fd', 0], ['2', -2, 0], ['3', 7, 0], ['4', 'fd', 0], ['9', 4, 0]]);
  });

  it('learns user_data per trace, the latest SQE winning', () => {
    const other: TraceRecord = { ...cq(1, [['1', 3, 0]]), trace: 'u' };
    const n = normaliseRecords([sqe(0, 'SOCKET', '1'), other, sqe(2, 'NOP', '1'), cq(3, [['1', 3, 0]])]);
    expect(n[1].cqes).toEqual([['1', 3, 0]]);
    expect(n[3].cqes).toEqual([['1', 3, 0]]);
  });
});

describe('diff', () => {
  const base = [sqe(0, 'SOCKET', '1'), cq(1, [['1', 4, 0]])];
  it('fd numbers do not make a difference; results do', () => {
    expect(sameRecords(base, [sqe(0, 'SOCKET', '1'), cq(1, [['1', 9, 0]])])).toBe(true);
    const d = diffRecords(base, [sqe(0, 'SOCKET', '1'), cq(1, [['1', -13, 0]])]);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ trace: 't', i: 1, fields: ['cqes'] });
  });

  it('CQE order matters', () => {
    const a = [cq(0, [['1', 0, 0], ['2', -13, 0]])];
    const b = [cq(0, [['2', -13, 0], ['1', 0, 0]])];
    expect(diffRecords(a, b).map((d) => d.fields)).toEqual([['cqes']]);
  });

  it('names every differing field, and records only one side has', () => {
    const a: TraceRecord[] = [{ trace: 't', i: 0, task: 'init', c: 'bpf', ret: 0, pdu: 12 }, { trace: 't', i: 1, task: 'init', c: 'nnp', ret: 0 }];
    const b: TraceRecord[] = [{ trace: 't', i: 0, task: 'init', c: 'bpf', ret: -90 }, { trace: 't', i: 2, task: 'init', c: 'nnp', ret: 0 }];
    expect(diffRecords(a, b).map((d) => [d.i, d.fields, !!d.a, !!d.b])).toEqual([
      [0, ['ret', 'pdu'], true, true], [1, ['missing'], true, false], [2, ['missing'], false, true],
    ]);
  });
});
