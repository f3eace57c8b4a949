// `ringfence oracle` on bad input: a usage error (exit 2) that says what was expected,
// never a stack trace, and nothing booted. Plus --native on this host, no qemu.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { command } from '../../sim/cli/commands/oracle.ts';
import { EXIT } from '../../sim/cli/command.ts';
import { memoryIo } from '../../sim/cli/io.ts';

async function run(argv: string[], files: Record<string, string> = {}) {
  const io = memoryIo(files);
  const code = await command.run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('ringfence oracle: usage errors', () => {
  it('wants a trace file', async () => {
    const r = await run([]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain('no trace file given');
  });
  it('names the kernels it knows', async () => {
    const r = await run(['--kernel', '9.9', 'x.trace'], { 'x.trace': 'trace t\nend\n' });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/unknown kernel profile '9\.9'.*7\.3.*6\.18.*all/s);
  });
  it('checks --jobs, --random and --seed', async () => {
    expect((await run(['--jobs', '0', 'x.trace'])).err).toContain("--jobs wants an integer from 1 to 64, got '0'");
    expect((await run(['--random', 'many'])).err).toContain("--random wants an integer from 1 to 100000, got 'many'");
    expect((await run(['--random', '3', '--seed', 'x'])).err).toContain("--seed wants an integer from -2147483648 to 2147483647, got 'x'");
    expect((await run(['--bogus'])).code).toBe(EXIT.USAGE);
  });
  it('reports a trace file with errors at its location and boots nothing', async () => {
    const r = await run(['bad.trace'], { 'bad.trace': 'trace t\n  ring r entries=x\nend\n' });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/^bad\.trace:2:\d+: error: /m);
    expect(r.out).toBe('');
  });
});

const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;

describe.skipIf(!hasGcc)('ringfence oracle --native', () => {
  it('compares the simulator with this machine\'s kernel on a trace every 6.x kernel answers alike', async () => {
    const trace = `trace nops
  ring r => 0
  sqe r op=NOP ud=1 flags=IO_LINK
  sqe r op=NOP ud=2
  submit r => 2
  cqes r => 1:0 2:0
end
`;
    const r = await run(['--native', '--compare', '--kernel', '7.3', 'n.trace'], { 'n.trace': trace });
    expect(r.out.trim().split('\n').pop()).toBe('1 passed, 0 failed');
    expect(r.code).toBe(EXIT.OK);
  });

  it('shows progress on standard error when it is a terminal', async () => {
    const io = memoryIo({ 'n.trace': 'trace nop\n  ring r => 0\nend\n' });
    io.errIsTty = true;
    expect(await command.run(['--native', '--compare', '--kernel', '7.3', 'n.trace'], io)).toBe(EXIT.OK);
    expect(io.stderr).toContain('\roracle: 7.3: running 1 traces on the real kernel\x1b[K');
    expect(io.stderr).toContain('\r\x1b[K');
  });
});
