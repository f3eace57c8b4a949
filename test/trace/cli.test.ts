// The replay, diff and main commands through memoryIo. The kernel is the
// stand-in of fake-kernel.ts, so these test the commands' own behaviour: output
// shape, context shown for failures, exit codes.

import { describe, expect, it, vi } from 'vitest';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';
import { fakeKernel } from './fake-kernel.ts';

vi.mock('../../sim/trace/kernel-link.ts', () => ({
  // A stand-in invariant: `setuid` "breaks" one, so the reporting path can be seen.
  replayOptions: () => ({
    createKernel: (p: Parameters<typeof fakeKernel>[0]) => fakeKernel(p),
    invariants: (_k: unknown, _prev: unknown, cmd: { c: string }) => (cmd.c === 'setuid' ? [{ message: 'table T1: refcount 2, 1 holder', state: 'task 1: table T1' }] : []),
  }),
}));

const PASSING = `trace ok kernels=7.2,7.3
  ring r => 0
  sqe r op=NOP ud=1
  submit r => 1 left=0
  cqes r => 1:0
end
`;
const FAILING = `trace bad kernels=7.3
  ring r
  sqe r op=READ ud=5
  submit r => 1
  cqes r => 5:0
  nnp => 0
end
`;

async function run(argv: string[], files: Record<string, string>) {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('ringfence replay', () => {
  it('passes: one line per trace and profile, a summary, exit 0', async () => {
    const r = await run(['replay', 'a.trace'], { 'a.trace': PASSING });
    expect(r.code).toBe(0);
    expect(r.out).toBe('pass  ok [7.2]\npass  ok [7.3]\n2 passed, 0 failed\n');
  });

  it('--kernel picks one profile and skips traces not meant for it', async () => {
    const r = await run(['replay', '--kernel', '7.0', 'a.trace'], { 'a.trace': PASSING });
    expect(r.code).toBe(0);
    expect(r.out).toContain('skip  ok [7.0]  (kernels=7.2,7.3)');
    expect(r.out).toContain('0 passed, 0 failed, 1 skipped');
  });

  it('fails: the first failing expectation with its source line, expected and actual; exit 1', async () => {
    const r = await run(['replay', 'b.trace'], { 'b.trace': FAILING });
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  bad [7.3]');
    expect(r.out).toContain('b.trace:5:13: trace bad under 7.3: expectation failed at step 3');
    expect(r.out).toContain('> 5 |   cqes r => 5:0');
    expect(r.out).toContain('expected: => 5:0');
    expect(r.out).toContain('actual:   => 5:-EINVAL');
    expect(r.out).toContain('{"trace":"bad","i":3,"task":"init","c":"cqes","cqes":[["5",-22,0]]}');
  });

  it('--trace picks traces by name; a name no file has is a usage error', async () => {
    const files = { 'a.trace': PASSING, 'b.trace': FAILING };
    const r = await run(['replay', '--trace', 'ok', 'a.trace', 'b.trace'], files);
    expect(r.code).toBe(0);
    expect(r.out).toBe('pass  ok [7.2]\npass  ok [7.3]\n2 passed, 0 failed\n');
    const none = await run(['replay', '--trace', 'nope', 'a.trace'], files);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no trace named nope');
  });

  it('--records prints exactly the JSONL records', async () => {
    const r = await run(['replay', '--records', '--kernel', '7.2', 'a.trace'], { 'a.trace': PASSING });
    expect(r.code).toBe(0);
    expect(r.out).toBe([
      '{"trace":"ok","i":0,"task":"init","c":"ring","ret":0}',
      '{"trace":"ok","i":1,"task":"init","c":"sqe","queued":1,"op":"NOP","ud":"1"}',
      '{"trace":"ok","i":2,"task":"init","c":"submit","ret":1,"left":0}',
      '{"trace":"ok","i":3,"task":"init","c":"cqes","cqes":[["1",0,0]]}',
      '',
    ].join('\n'));
  });

  it('a file with errors: every error located, nothing replayed, exit 2', async () => {
    const r = await run(['replay', 'e.trace', 'a.trace'], { 'e.trace': 'trace e\n  frob\n  ring r flags=NOPE\nend\n', 'a.trace': PASSING });
    expect(r.code).toBe(2);
    expect(r.err).toContain('e.trace:2:3: error: unknown command `frob`');
    expect(r.err).toContain('e.trace:3:16: error: unknown name `NOPE`');
    expect(r.err).toContain('e.trace: 2 errors; nothing was replayed from this file');
    expect(r.out).toContain('pass  ok [7.3]');
  });

  it('usage errors exit 2 without a stack trace', async () => {
    for (const argv of [['replay'], ['replay', '--kernel', '9.9', 'a.trace'], ['replay', '--frob', 'a.trace']]) {
      const r = await run(argv, { 'a.trace': PASSING });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
    }
    const missing = await run(['replay', 'nope.trace'], {});
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read nope.trace: no such file');
  });
});

describe('invariant violations', () => {
  it('are reported with the step and the state, and exit 3', async () => {
    const r = await run(['replay', '--kernel', '7.3', 'v.trace'], { 'v.trace': 'trace v\n  nnp\n  setuid 5\n  nnp\nend\n' });
    expect(r.code).toBe(3);
    expect(r.out).toContain('INVARIANT  v [7.3]');
    expect(r.out).toContain('v.trace:3:3: trace v under 7.3: invariant violated after step 1 (`setuid 5`): table T1: refcount 2, 1 holder');
    expect(r.out).toContain('state after the step:');
    expect(r.out).toContain('task 1: table T1');
  });
});

describe('ringfence diff', () => {
  const TWO = `trace same
  ring r
  sqe r op=SOCKET ud=1
  submit r
  cqes r
end
`;
  it('no difference: exit 0 and a summary', async () => {
    const r = await run(['diff', '--kernels', '7.2,7.3', 'a.trace'], { 'a.trace': TWO });
    expect(r.code).toBe(0);
    expect(r.out).toBe('7.2 vs 7.3: 0 of 1 traces differ\n');
  });

  it('requires two known profiles', async () => {
    expect((await run(['diff', 'a.trace'], { 'a.trace': TWO })).code).toBe(2);
    expect((await run(['diff', '--kernels', '7.2', 'a.trace'], { 'a.trace': TWO })).code).toBe(2);
    expect((await run(['diff', '--kernels', '7.2,8.0', 'a.trace'], { 'a.trace': TWO })).code).toBe(2);
  });
});
