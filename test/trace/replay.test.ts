import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { replayTrace, replayPassed, NO_RING_FD } from '../../sim/trace/replay.ts';
import { formatRecords } from '../../sim/trace/records.ts';
import { fakeKernel } from './fake-kernel.ts';
import { violationsSince } from '../../sim/trace/kernel-link.ts';
import { parseOk } from './helpers.ts';

const P = getProfile('7.3')!;

function run(body: string, opts: Partial<Parameters<typeof replayTrace>[2]> = {}) {
  const t = parseOk(`trace t\n${body}\nend\n`)[0];
  let k: ReturnType<typeof fakeKernel> | undefined;
  const r = replayTrace(t, P, { createKernel: () => (k = fakeKernel()), ...opts });
  return { r, k: k!, text: formatRecords(r.records) };
}

describe('records', () => {
  it('one record per command, fields and key order as trace-format.md defines', () => {
    const { text, r } = run(`  ring r
  bpf r op=SOCKET allow
  bpf r op=NOP allow
  sqe r op=NOP ud=7
  sqe r op=SOCKET domain=AF_UNIX type=SOCK_STREAM
  submit r
  cqes r
  cqes r
  restrict task sqe_op:NOP
  enable r
  register r PROBE
  nnp
  setuid 1000
  fork c
  @c exit
  close r`);
    expect(replayPassed(r)).toBe(true);
    expect(text).toBe([
      '{"trace":"t","i":0,"task":"init","c":"ring","ret":0}',
      '{"trace":"t","i":1,"task":"init","c":"bpf","ret":0,"pdu":12}',
      '{"trace":"t","i":2,"task":"init","c":"bpf","ret":0}',
      '{"trace":"t","i":3,"task":"init","c":"sqe","queued":1,"op":"NOP","ud":"7"}',
      '{"trace":"t","i":4,"task":"init","c":"sqe","queued":2,"op":"SOCKET","ud":"1"}',
      '{"trace":"t","i":5,"task":"init","c":"submit","ret":2,"left":0}',
      '{"trace":"t","i":6,"task":"init","c":"cqes","cqes":[["7",0,0],["1",4,0]]}',
      '{"trace":"t","i":7,"task":"init","c":"cqes","cqes":[]}',
      '{"trace":"t","i":8,"task":"init","c":"restrict","ret":0}',
      '{"trace":"t","i":9,"task":"init","c":"enable","ret":0}',
      '{"trace":"t","i":10,"task":"init","c":"register","ret":0}',
      '{"trace":"t","i":11,"task":"init","c":"nnp","ret":0}',
      '{"trace":"t","i":12,"task":"init","c":"setuid","ret":0}',
      '{"trace":"t","i":13,"task":"init","c":"fork","ret":0}',
      '{"trace":"t","i":14,"task":"c","c":"exit","ret":0}',
      '{"trace":"t","i":15,"task":"init","c":"close","ret":0}',
      '',
    ].join('\n'));
  });

  it('a u64 user_data is printed exactly, as a decimal string', () => {
    const { text } = run('  ring r\n  sqe r op=NOP ud=0xffffffffffffffff\n  submit r\n  cqes r');
    expect(text).toContain('"ud":"18446744073709551615"');
    expect(text).toContain('"cqes":[["18446744073709551615",0,0]]');
  });
});

describe('names', () => {
  it('task names map to pids and ring names to that task\'s fds; a child starts with a copy', () => {
    const { k } = run('  ring a\n  ring b\n  fork c\n  @c close a\n  @c ring d\n  enable a\n  @c enable d\n  @c enable b');
    // init: a=3, b=4. The child c (pid 2) copies them, closes its a (3) and gets d=3.
    expect(k.calls).toEqual([
      'setup 1 8 0', 'setup 1 8 0', 'fork 1 -> 2', 'close 2 3', 'setup 2 8 0', 'enable 1 3', 'enable 2 3', 'enable 2 4',
    ]);
  });

  it('restrict and bpf on `task` use fd -1', () => {
    const { k } = run('  restrict task\n  bpf task op=NOP deny');
    expect(k.calls).toEqual(['restrict 1 -1 0', 'bpf 1 -1 0 1']);
  });

  it('a ring whose setup failed refers to an fd nobody holds', () => {
    const { k, text } = run('  ring r entries=0 => -EINVAL\n  enable r => -EBADF');
    expect(k.calls).toEqual(['setup 1 0 0', `enable 1 ${NO_RING_FD}`]);
    expect(text).toContain('"c":"ring","ret":-22');
  });
});

describe('expectations during replay', () => {
  it('keeps replaying after a failure and reports the first', () => {
    const { r } = run('  ring r => -EINVAL\n  nnp => 0\n  ring s => 1\n  nnp');
    expect(r.records).toHaveLength(4);
    expect(r.failures).toBe(2);
    expect(r.failure).toMatchObject({ expected: '-EINVAL', actual: '0', command: { i: 0, loc: { line: 2 } } });
    expect(replayPassed(r)).toBe(false);
  });

  it('`fd` matches the non-negative result of an fd-producing request only', () => {
    expect(run('  ring r\n  sqe r op=SOCKET ud=1\n  submit r\n  cqes r => 1:fd').r.failures).toBe(0);
    expect(run('  ring r\n  sqe r op=NOP ud=1\n  submit r\n  cqes r => 1:fd').r.failures).toBe(1);
    expect(run('  ring r\n  sqe r op=READ ud=1\n  submit r\n  cqes r => 1:fd').r.failures).toBe(1);
  });

  it('CQE lists compare in order, and `none` means no CQE', () => {
    const body = '  ring r\n  sqe r op=NOP ud=1\n  sqe r op=READ ud=2\n  submit r => 2 left=0\n';
    expect(run(body + '  cqes r => 1:0 2:-EINVAL\n  cqes r => none').r.failures).toBe(0);
    expect(run(body + '  cqes r => 2:-EINVAL 1:0').r.failures).toBe(1);
    expect(run(body + '  cqes r => 1:0').r.failures).toBe(1);
    expect(run(body + '  cqes r => none').r.failures).toBe(1);
    expect(run(body + '  cqes r\n  cqes r => 1:0').r.failures).toBe(1);
  });

  it('pdu= and left= are checked; an absent pdu fails pdu=', () => {
    expect(run('  ring r\n  bpf r op=SOCKET allow => 0 pdu=12').r.failures).toBe(0);
    expect(run('  ring r\n  bpf r op=SOCKET allow => 0 pdu=24').r.failures).toBe(1);
    expect(run('  ring r\n  bpf r op=NOP allow => 0 pdu=0').r.failures).toBe(1);
    expect(run('  ring r\n  sqe r op=NOP\n  submit r => 1 left=1').r.failures).toBe(1);
  });
});

describe('invariants hook', () => {
  it('is asked after every step and stops the replay at the first violation', () => {
    const seen: number[] = [];
    const { r } = run('  nnp\n  nnp\n  nnp', {
      invariants: (_k, _prev, cmd) => { seen.push(cmd.i); return cmd.i === 1 ? [{ message: 'refcount 2, holders 1', state: 'table T1' }] : []; },
    });
    expect(seen).toEqual([0, 1]);
    expect(r.records).toHaveLength(2);
    expect(r.violation).toMatchObject({ message: 'refcount 2, holders 1', state: 'table T1', command: { i: 1 } });
    expect(replayPassed(r)).toBe(false);
  });
});

describe('run-time references', () => {
  it('a child whose fork failed is an error value, not a crash', () => {
    const t = parseOk('trace t\n  fork c\n  @c nnp\nend\n')[0];
    const r = replayTrace(t, P, { createKernel: () => { const k = fakeKernel(); k.fork = () => ({ ret: -11 }); return k; } });
    expect(r.records).toHaveLength(1);
    expect(r.error).toMatchObject({ kind: 'name', loc: { line: 3 } });
    expect(r.error!.message).toMatch(/task c does not exist/);
  });
});

describe('kernel invariant violations', () => {
  it('each command reports only the violations new since the previous one, known kernel bugs left out', () => {
    const k = { violations: [] as { message: string; state: string; knownKernelBug?: string }[] };
    const check = violationsSince();
    const ask = () => check(k as never, null, null as never).map((v) => v.message);
    expect(ask()).toEqual([]);
    k.violations.push({ message: 'a', state: 's' }, { message: 'b', state: 's', knownKernelBug: '7.0-merge leak' });
    expect(ask()).toEqual(['a']);
    expect(ask()).toEqual([]);
    k.violations.push({ message: 'c', state: 's' });
    expect(ask()).toEqual(['c']);
  });
});
