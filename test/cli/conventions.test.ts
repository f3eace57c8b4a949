// The conventions every `ringfence` command shares (README, CLI section; docs/cli.md):
// --kernel with deprecated aliases, one default-profile rule, --json with errors as
// JSON objects, one-line usage errors, --version, nothing silently empty, live
// progress on a terminal only, completion scripts and the man page.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../sim/cli/io.ts';
import { loadAll, main, version } from '../../sim/cli/main.ts';
import { isDeclared } from '../../sim/cli/options.ts';
import { progress } from '../../sim/cli/progress.ts';

const PASSING = `trace ok kernels=7.2,7.3
  ring r => 0
  sqe r op=NOP ud=1
  submit r => 1
  cqes r => 1:0
end
`;
const OLD = `trace old kernels=7.0,7.1
  ring r => 0
end
`;

async function rf(files: Record<string, string | Uint8Array>, ...argv: string[]) {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('--kernel', () => {
  it('is the one name; --profile and --kernels still work, with a one-line notice', async () => {
    for (const [argv, alias] of [
      [['policy', 'a.trace', '--profile', '7.2', '--json'], '--profile'],
      [['replay', '--profile', '7.3', 'a.trace'], '--profile'],
      [['diff', '--kernels', '7.2,7.3', 'a.trace'], '--kernels'],
    ] as const) {
      const r = await rf({ 'a.trace': PASSING }, ...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.err).toContain(`ringfence ${argv[0]}: ${alias} is deprecated; use --kernel`);
    }
    const now = await rf({ 'a.trace': PASSING }, 'diff', '--kernel', '7.2,7.3', 'a.trace');
    expect(now.code).toBe(0);
    expect(now.err).toBe('');
  });

  it('defaults by one rule: 7.3, or the newest profile of a trace whose kernels= list leaves 7.3 out', async () => {
    const p = await rf({ 'a.trace': OLD }, 'policy', 'a.trace', '--json');
    expect(JSON.parse(p.out).profile).toBe('7.1');
    const q = await rf({ 'a.trace': PASSING }, 'policy', 'a.trace', '--json');
    expect(JSON.parse(q.out).profile).toBe('7.3');
    const r = await rf({ 'a.trace': OLD }, 'replay', '--records', 'a.trace');
    expect(r.code).toBe(0);
    expect(r.out).toContain('"ret":');
  });
});

describe('--json', () => {
  it('every declared command that prints results takes it', async () => {
    const missing = (await loadAll()).filter(isDeclared).filter((c) => !('json' in c.def.options)).map((c) => c.name);
    expect(missing).toEqual([]);
  });

  it('replay, diff and asm print one JSON object', async () => {
    const r = await rf({ 'a.trace': PASSING }, 'replay', '--json', 'a.trace');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ passed: 2, failed: 0, results: [{ trace: 'ok', kernel: '7.2', verdict: 'pass' }, { kernel: '7.3' }] });
    const d = await rf({ 'a.trace': PASSING }, 'diff', '--kernel', '7.2,7.3', '--json', 'a.trace');
    expect(JSON.parse(d.out)).toMatchObject({ kernels: ['7.2', '7.3'], traces: 1, differing: 0 });
    const a = await rf({ 'p.bpf': 'ret #1\n' }, 'asm', '--json', 'p.bpf');
    expect(JSON.parse(a.out)).toMatchObject({ insns: [{ code: 6, jt: 0, jf: 0, k: 1 }], quads: ['0x06:0:0:1'] });
  });

  it('reports errors as JSON objects with kind, message and location', async () => {
    const bad = await rf({ 'b.trace': 'trace t\n  frob\nend\n' }, 'replay', '--json', 'b.trace');
    expect(bad.code).toBe(2);
    const e = JSON.parse(bad.out.split('\n')[0]);
    expect(e).toMatchObject({ error: { kind: 'syntax', message: expect.stringContaining('frob'), file: 'b.trace', line: 2, col: 3 } });
    const usage = await rf({}, 'explore', '--json', '--depth', 'x');
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out)).toEqual({ error: { kind: 'usage', message: "--depth wants an integer from 0 to 32, got 'x'" } });
    expect(usage.err).toBe('');
    const io = await rf({}, 'check', '--json', 'missing.bpf');
    expect(JSON.parse(io.out).error).toMatchObject({ kind: 'io', message: 'cannot read missing.bpf: no such file' });
  });
});

describe('usage errors and --version', () => {
  it('is one line pointing at the command\'s help, never the whole help', async () => {
    for (const argv of [['replay'], ['replay', '--frob', 'a'], ['check'], ['diff', 'a.trace'], ['run', 'p.bpf'], ['explore', '--model', 'x'], ['asm', 'a', 'b']]) {
      const r = await rf({}, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n'), argv.join(' ')).toHaveLength(2);
      expect(r.err).toContain(`see 'ringfence help ${argv[0]}'`);
    }
  });

  it('--version prints the package version', async () => {
    const r = await rf({}, '--version');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`ringfence ${version()}\n`);
    expect(version()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('nothing silently empty', () => {
  it('an empty trace file, a binary file and --trace NAME that matches nothing are errors (exit 2)', async () => {
    const empty = await rf({ 'e.trace': '# nothing here\n' }, 'replay', 'e.trace');
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('e.trace holds no trace');
    const bin = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0x1b, 0x5b, 0x32, 0x4a]);
    for (const cmd of ['replay', 'explain', 'policy']) {
      const r = await rf({ 'x.trace': bin }, cmd, 'x.trace');
      expect(r.code, cmd).toBe(2);
      expect(r.err).toContain('x.trace is a binary file, not a trace');
      expect(r.err).not.toContain('\x1b');
    }
    for (const argv of [['replay', '--trace', 'nope', 'a.trace'], ['replay', '--records', '--trace', 'nope', 'a.trace'], ['policy', 'a.trace', '--trace', 'nope']]) {
      const r = await rf({ 'a.trace': PASSING }, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('no trace named nope in the files given');
      expect(r.out).toBe('');
    }
  });

  it('a stray undecodable byte in a comment does not make a trace binary', async () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode('# caf'), 0xe9, ...new TextEncoder().encode('\n' + PASSING)]);
    const r = await rf({ 'l.trace': latin1 }, 'replay', 'l.trace');
    expect(r.code).toBe(0);
  });

  it('bench --only that names no suite is an error before anything runs', async () => {
    const r = await rf({}, 'bench', '--only', 'no-such-suite');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--only no-such-suite: no benchmark suite has that name');
    expect(r.out).toBe('');
  });
});

describe('cheap checks before expensive work', () => {
  it('oracle --random refuses a huge count, and a missing qemu, before generating a trace', async () => {
    const huge = await rf({}, 'oracle', '--random', '1000000');
    expect(huge.code).toBe(2);
    // a PATH with a shell and no qemu
    const dir = mkdtempSync(join(tmpdir(), 'rf-noqemu-'));
    symlinkSync('/bin/sh', join(dir, 'sh'));
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      const t0 = performance.now();
      const r = await rf({}, 'oracle', '--random', '100000');
      expect(r.code).toBe(2);
      expect(r.err).toContain('qemu-system-x86_64 is not installed');
      expect(performance.now() - t0).toBeLessThan(5000); // 100,000 traces take far longer to generate
    } finally {
      process.env.PATH = path;
    }
  });

  it('fuzz --max-commands beyond its range is refused, not run', async () => {
    const r = await rf({}, 'fuzz', '--max-commands', '100000', '--seconds', '1');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--max-commands wants an integer from 1 to 500');
  });
});

describe('live progress', () => {
  it('draws one throttled line on a terminal, and clears it', () => {
    const io = memoryIo();
    io.errIsTty = true;
    let t = 0;
    const p = progress(io, false, () => t);
    p.update('one');
    t = 50; p.update('two');          // within the throttle: not drawn
    t = 150; p.update('three');
    p.update('four', true);           // forced
    p.done();
    expect(io.stderr).toBe('\rone\x1b[K\rthree\x1b[K\rfour\x1b[K\r\x1b[K');
  });

  it('draws nothing when standard error is not a terminal, or with --json', () => {
    const io = memoryIo();
    progress(io, false).update('x', true);
    io.errIsTty = true;
    progress(io, true).update('x', true);
    expect(io.stderr).toBe('');
  });

  it('fuzz reports progress on a fake terminal, and not with --json', async () => {
    const tty = memoryIo();
    tty.errIsTty = true;
    expect(await main(['fuzz', '--seconds', '1', '--kernel', '7.3', '--seed', '5'], tty)).toBe(0);
    expect(tty.stderr).toMatch(/\rfuzz: [\d,]+ sequences, \d+\/1 s, last 7\.3\x1b\[K/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);
    const json = memoryIo();
    json.errIsTty = true;
    expect(await main(['fuzz', '--seconds', '1', '--kernel', '7.3', '--seed', '5', '--json'], json)).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ kernels: ['7.3'], seed: 5 });
  });

  it('explore reports progress on a fake terminal', async () => {
    const tty = memoryIo();
    tty.errIsTty = true;
    expect(await main(['explore', '--depth', '5', '--lean', '--workers', '1', '--seconds', '2'], tty)).toBe(0);
    expect(tty.stderr).toMatch(/\r\[[#.]{20}\] depth \d\/5 {2}[\d,]+ states/);
  });
});

describe('completion and man page come from the declarations', () => {
  it('each shell script names every command and every option', async () => {
    const commands = (await loadAll()).filter(isDeclared);
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await rf({}, 'completion', shell);
      expect(r.code).toBe(0);
      for (const c of commands) {
        expect(r.out, `${shell} ${c.name}`).toContain(c.name);
        for (const o of Object.keys(c.def.options)) expect(r.out, `${shell} ${c.name} --${o}`).toMatch(new RegExp(`(--| -l )${o}\\b`));
      }
    }
    expect((await rf({}, 'completion', 'tcsh')).code).toBe(2);
  });

  it('the bash script is valid bash and completes options and profiles', async () => {
    const r = await rf({}, 'completion', 'bash');
    const dir = mkdtempSync(join(tmpdir(), 'rf-compl-'));
    writeFileSync(join(dir, 'c.bash'), r.out);
    const run = (words: string) => spawnSync('bash', ['-c', `source ${join(dir, 'c.bash')}; COMP_WORDS=(${words}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _ringfence; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    expect(spawnSync('bash', ['-n', join(dir, 'c.bash')]).status).toBe(0);
    expect(run("ringfence explo").stdout.trim()).toBe('explore');
    expect(run("ringfence explore --wor").stdout.trim()).toBe('--workers');
    expect(run("ringfence replay --kernel 7.").stdout.trim().split(' ')).toEqual(['7.0', '7.1', '7.2', '7.3']);
  });

  it('man prints roff with a section per command and every option', async () => {
    const r = await rf({}, 'man');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('.TH RINGFENCE 1 ')).toBe(true);
    for (const c of (await loadAll()).filter(isDeclared)) {
      expect(r.out).toContain(`.SS ${c.name}\n`);
      for (const o of Object.keys(c.def.options)) expect(r.out).toContain(`--${o}`);
    }
    const g = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: r.out, encoding: 'utf8' });
    if (g.status !== null && !g.error) expect(g.stderr).toBe('');
  });
});
