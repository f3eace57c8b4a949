import { describe, expect, it } from 'vitest';
import { checkExpectation, describeActual, matches } from '../../sim/trace/expect.ts';
import { FdUserData } from '../../sim/trace/fdops.ts';
import type { TraceRecord } from '../../sim/trace/ast.ts';
import { commands } from './helpers.ts';

const rec = (c: TraceRecord['c'], f: Partial<TraceRecord>): TraceRecord => ({ trace: 't', i: 0, task: 'init', c, ...f });
const fdsFor = (pairs: [string, string][]) => { const f = new FdUserData(); for (const [ud, op] of pairs) f.note(ud, op); return f; };

describe('actual results in expectation syntax', () => {
  it('ret, pdu, left, queued, CQEs, none', () => {
    expect(describeActual('enable', rec('enable', { ret: -13 }))).toBe('-EACCES');
    expect(describeActual('bpf', rec('bpf', { ret: -90, pdu: 12 }))).toBe('-EMSGSIZE pdu=12');
    expect(describeActual('bpf', rec('bpf', { ret: 0 }))).toBe('0');
    expect(describeActual('submit', rec('submit', { ret: 2, left: 1 }))).toBe('2 left=1');
    expect(describeActual('sqe', rec('sqe', { queued: 3, op: 'NOP', ud: '1' }))).toBe('3');
    expect(describeActual('cqes', rec('cqes', { cqes: [['1', 0, 0], ['2', -125, 0]] }))).toBe('1:0 2:-ECANCELED');
    expect(describeActual('cqes', rec('cqes', { cqes: [] }))).toBe('none');
    expect(describeActual('cqes', rec('cqes', { ret: -9 }))).toBe('-EBADF');
  });
});

describe('matching', () => {
  const expOf = (line: string) => commands(` ring r\n${line}`)[1];
  it('ret alone ignores pdu; pdu= requires it', () => {
    const a = expOf(' bpf r op=SOCKET allow => 0');
    const b = expOf(' bpf r op=SOCKET allow => 0 pdu=12');
    expect(matches(a.expect!, 'bpf', rec('bpf', { ret: 0, pdu: 12 }), new FdUserData())).toBe(true);
    expect(matches(b.expect!, 'bpf', rec('bpf', { ret: 0, pdu: 12 }), new FdUserData())).toBe(true);
    expect(matches(b.expect!, 'bpf', rec('bpf', { ret: 0 }), new FdUserData())).toBe(false);
    expect(matches(b.expect!, 'bpf', rec('bpf', { ret: -22, pdu: 12 }), new FdUserData())).toBe(false);
  });

  it('fd: non-negative results of fd-producing requests only', () => {
    const e = expOf(' cqes r => 7:fd').expect!;
    const sock = fdsFor([['7', 'SOCKET']]);
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['7', 5, 0]] }), sock)).toBe(true);
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['7', 0, 0]] }), sock)).toBe(true);
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['7', -13, 0]] }), sock)).toBe(false);
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['7', 5, 0]] }), fdsFor([['7', 'NOP']]))).toBe(false);
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['7', 5, 0]] }), new FdUserData())).toBe(false);
  });

  it('CQE flags are not part of an expectation', () => {
    const e = expOf(' cqes r => 1:0').expect!;
    expect(matches(e, 'cqes', rec('cqes', { cqes: [['1', 0, 4]] }), new FdUserData())).toBe(true);
  });

  it('a failure carries the command, the record, and both texts', () => {
    const c = expOf(' submit r => 2 left=0');
    const r = rec('submit', { ret: 1, left: 1 });
    expect(checkExpectation(c, r, new FdUserData())).toEqual({ command: c, record: r, expected: '2 left=0', actual: '1 left=1' });
    expect(checkExpectation(c, rec('submit', { ret: 2, left: 0 }), new FdUserData())).toBeUndefined();
  });
});
