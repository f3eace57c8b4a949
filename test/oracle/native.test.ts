// `oracle --native` must not touch the host's files (issue 11 item 6): the guest runs
// in a fresh scratch directory, removed after, and a trace path that would leave it
// (absolute, or `..` above it) is refused before anything runs, at its location.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { command } from '../../sim/cli/commands/oracle.ts';
import { EXIT } from '../../sim/cli/command.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { escapesScratch, makeScratch } from '../../sim/oracle/native.ts';

async function run(argv: string[], files: Record<string, string> = {}) {
  const io = memoryIo(files);
  const code = await command.run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('paths a native run refuses', () => {
  it.each([
    ['/etc/passwd', true], ['/tmp/x', true], ['../x', true], ['a/../../x', true], ['./../x', true],
    ['tmp/x', false], ['x', false], ['a/../b', false], ['a/./b/..', false], ['/dev/null', false], ['', false],
  ])('%s: refused %s', (path, refused) => {
    expect(escapesScratch(path) !== null).toBe(refused);
  });

  it('an O_CREAT of an absolute path is refused (exit 2, located) and nothing is created', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'rf-native-victim-')), 'owned');
    const trace = `trace creat\n  ring r => 0\n  sqe r op=OPENAT ud=1 path=${target} oflags=O_CREAT|O_WRONLY|O_TRUNC mode=0o644\n  submit r => 1\nend\n`;
    const r = await run(['--native', '--kernel', '7.3', 'c.trace'], { 'c.trace': trace });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/^c\.trace:3:\d+: error: --native runs traces in a private scratch directory, and path .* leaves it: an absolute path/m);
    expect(existsSync(target)).toBe(false);
  });

  it('`..` above the scratch directory is refused too', async () => {
    const trace = 'trace up\n  ring r => 0\n  sqe r op=OPENAT ud=1 path=../../x oflags=O_CREAT|O_WRONLY mode=0o644\n  submit r => 1\nend\n';
    const r = await run(['--native', '--compare', '--kernel', '7.3', 'u.trace'], { 'u.trace': trace });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/^u\.trace:3:\d+: error: .*`\.\.` climbs out/m);
  });
});

describe('the scratch directory', () => {
  it('has the model\'s tree and goes away with what the trace made in it', () => {
    const s = makeScratch();
    expect(readdirSync(s.dir).sort()).toEqual(['dev', 'init', 'proc', 'tmp']);
    s.remove();
    expect(existsSync(s.dir)).toBe(false);
  });
});

const CLI = fileURLToPath(new URL('../../sim/cli/ringfence.mjs', import.meta.url));
const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;

describe.skipIf(!hasGcc)('a native run creates files only in its scratch directory', () => {
  it('tmp/x made with O_CREAT agrees with the simulator and is not left in the working directory', async () => {
    const trace = `trace creat
  ring r => 0
  sqe r op=OPENAT ud=1 path=tmp/rf-native-x oflags=O_CREAT|O_WRONLY mode=0o644
  submit r => 1
  cqes r => 1:3
end
`;
    const here = mkdtempSync(join(tmpdir(), 'rf-native-cwd-'));
    const traceDir = mkdtempSync(join(tmpdir(), 'rf-native-trace-'));
    writeFileSync(join(traceDir, 'n.trace'), trace);
    try {
      // A process of its own: the working directory is where a careless run would create tmp/.
      const r = spawnSync(process.execPath, [CLI, 'oracle', '--native', '--compare', '--kernel', '7.3', join(traceDir, 'n.trace')], { cwd: here, encoding: 'utf8' });
      expect(r.stdout.trim().split('\n').pop(), r.stderr).toBe('1 passed, 0 failed');
      expect(r.status).toBe(EXIT.OK);
      expect(readdirSync(here)).toEqual([]);
    } finally {
      rmSync(here, { recursive: true, force: true });
      rmSync(traceDir, { recursive: true, force: true });
    }
  });
});
