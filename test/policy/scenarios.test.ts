// The shipped policies (scenarios/policies/): each compiles, is proven, and its
// emitted trace passes on the simulator for every target kernel; the C installer
// builds with gcc -Wall -Werror; emitted filters are never longer than the
// hand-written filters of scenarios/ that mean the same; a proof counterexample's
// trace fails when replayed.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProfile } from '../../model/profile/profiles.ts';
import { parsePolicy } from '../../model/policy/parse.ts';
import { compilePolicy, type Compiled } from '../../model/policy/compile.ts';
import { prove } from '../../model/policy/prove.ts';
import { insn } from '../../model/bpf/insn.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayTrace, replayPassed } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';
import { emitTrace } from '../../sim/policy/trace.ts';
import { emitC } from '../../sim/policy/c.ts';
import { counterexampleTrace } from '../../sim/cli/commands/compile.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { command as compileCommand } from '../../sim/cli/commands/compile.ts';

const DIR = new URL('../../scenarios/policies/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.policy')).sort();

function compileFile(file: string): Compiled {
  const p = parsePolicy(file, readFileSync(new URL(file, DIR), 'utf8'));
  if (!p.ok) throw new Error(p.error[0].message);
  const c = compilePolicy(p.value);
  if (!c.ok) throw new Error(c.error[0].message);
  return c.value;
}

const hasGcc = (() => { try { execFileSync('gcc', ['--version']); return true; } catch { return false; } })();

describe('shipped policies', () => {
  it('there are at least six, with the edge case of no rules', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(files.map((f) => compileFile(f)).some((c) => c.policy.rules.length === 0 && c.policy.rest === 'deny')).toBe(true);
  });

  it.each(files)('%s: proven, and its trace passes on every target kernel', (file) => {
    const c = compileFile(file);
    expect(prove(c).failures).toEqual([]);
    const t = emitTrace(c);
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.probes).toBeGreaterThan(2);
    const parsed = parseTraceFile(file, t.value.text);
    if (!parsed.ok) throw new Error(parsed.error[0].message);
    for (const k of c.policy.kernels) {
      const r = replayTrace(parsed.value.traces[0], getProfile(k)!, replayOptions({ invariants: true }));
      expect(replayPassed(r), `${file} on ${k}: ${JSON.stringify(r.failure ?? r.error ?? r.violation)}`).toBe(true);
    }
    // The probes see both verdicts where the policy has both.
    if (c.policy.rest === 'deny') expect(t.value.text).toMatch(/cqes r => \d+:-13/);
  });

  it('a policy with no rules still denies everything (libseccomp#370)', () => {
    const c = compileFile('empty-deny.policy');
    expect(c.filters.length).toBe(1);
    expect(Object.values(prove(c).verdicts).every((vs) => vs.every((v) => v === 'deny'))).toBe(true);
  });

  it.skipIf(!hasGcc).each(files)('%s: the C installer builds with gcc -Wall -Werror', (file) => {
    const c = compileFile(file);
    const dir = mkdtempSync(join(tmpdir(), 'rf-policy-'));
    try {
      writeFileSync(join(dir, 'p.c'), emitC(c));
      execFileSync('gcc', ['-Wall', '-Werror', '-std=gnu11', '-c', '-o', join(dir, 'p.o'), join(dir, 'p.c')]);
      if (c.policy.holder === 'task') execFileSync('gcc', ['-Wall', '-Werror', '-std=gnu11', '-DRINGFENCE_MAIN', '-o', join(dir, 'p'), join(dir, 'p.c')]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('emitted filters are never longer than hand-written ones', () => {
  const cases: [string, string, string, string][] = [
    ['liburing-cbpf.trace', 'allow_inet_only', 'allow SOCKET if family == AF_INET', '7.0..7.3'],
    ['liburing-cbpf.trace', 'allow_tcp_only', 'allow SOCKET if type == SOCK_STREAM', '7.0..7.3'],
    ['liburing-cbpf.trace', 'deny_o_creat', 'allow OPENAT if flags lacks O_CREAT', '7.0..7.3'],
    ['liburing-cbpf.trace', 'deny_resolve_in_root', 'allow OPENAT2 if resolve lacks RESOLVE_IN_ROOT', '7.0..7.3'],
    ['socket-open.trace', 'deny_inet', 'deny SOCKET if family == AF_INET', '7.0..7.3'],
    ['socket-open.trace', 'deny_udp', 'allow SOCKET if protocol != IPPROTO_UDP', '7.0..7.3'],
    ['connect.trace', 'deny_inet', 'deny CONNECT if family == AF_INET', '7.2..7.3'],
    ['connect.trace', 'deny_port80', 'allow CONNECT if port != 80', '7.2..7.3'],
  ];
  it.each(cases)('%s %s', (traceFile, prog, rule, kernels) => {
    const src = readFileSync(new URL(`../../scenarios/${traceFile}`, import.meta.url), 'utf8');
    const t = parseTraceFile(traceFile, src);
    if (!t.ok) throw new Error(t.error[0].message);
    const hand = t.value.traces.map((x) => x.programs.get(prog)).find(Boolean)!.insns;
    const p = parsePolicy('eq.policy', `policy eq holder=ring kernels=${kernels}\n${rule}\n`);
    if (!p.ok) throw new Error(p.error[0].message);
    const c = compilePolicy(p.value);
    if (!c.ok) throw new Error(c.error[0].message);
    expect(c.value.filters.length).toBe(1);
    // Same meaning: the hand-written program, put in place of the emitted one, is proven equal to the policy.
    const handC: Compiled = { ...c.value, filters: [{ ...c.value.filters[0], insns: hand }] };
    expect(prove(handC).failures).toEqual([]);
    expect(c.value.filters[0].insns.length).toBeLessThanOrEqual(hand.length);
  });
});

describe('counterexamples', () => {
  it('the trace printed for a proof failure fails when replayed', async () => {
    const c = compileFile('tcp-server.policy');
    const bad: Compiled = { ...c, filters: c.filters.map((f) => ({ ...f, insns: f.insns.map((i) => (i.k === 6 && (i.code & 7) === 5 ? insn(i.code, i.jt, i.jf, 17) : i)) })) };
    const r = prove(bad);
    expect(r.ok).toBe(false);
    const cx = r.failures.find((f) => f.words)!;
    const text = counterexampleTrace(bad, cx)!;
    const parsed = parseTraceFile('cx.trace', text);
    if (!parsed.ok) throw new Error(parsed.error[0].message);
    const run = replayTrace(parsed.value.traces[0], getProfile(cx.kernel)!, replayOptions({ invariants: false }));
    expect(run.failures).toBeGreaterThan(0);
  });

  it('bad input exits 2 with a located error; a good policy exits 0', async () => {
    const io = memoryIo({ 'bad.policy': 'policy p holder=task kernels=7.3\nallow SOCKET if colour == 1\n' });
    expect(await compileCommand.run(['bad.policy'], io)).toBe(2);
    expect(io.stderr).toMatch(/^bad\.policy:2:17: error: SOCKET has no field `colour`/);
    const ok = memoryIo({ 'p.policy': readFileSync(new URL('unix-only.policy', DIR), 'utf8') });
    expect(await compileCommand.run(['p.policy', '--emit', 'asm'], ok)).toBe(0);
    expect(ok.stdout).toMatch(/allow_SOCKET_if: SOCKET, 4 instructions/);
    expect(ok.stderr).toMatch(/instructions per opcode: SOCKET 4/);
    const j = memoryIo({ 'p.policy': readFileSync(new URL('unix-only.policy', DIR), 'utf8') });
    expect(await compileCommand.run(['p.policy', '--json'], j)).toBe(0);
    expect(JSON.parse(j.stdout).registrations[0]).toMatchObject({ opcode: 'SOCKET', instructions: 4 });
  });

  it('several kinds go into --out DIR, one file each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-compile-'));
    try {
      const io = memoryIo({ 'p.policy': readFileSync(new URL('empty-deny.policy', DIR), 'utf8') });
      expect(await compileCommand.run(['p.policy', '--emit', 'asm,c,json,summary', '--out', dir], io)).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['empty-deny.asm', 'empty-deny.c', 'empty-deny.json', 'empty-deny.summary.txt']);
      expect(await compileCommand.run(['p.policy', '--emit', 'asm,c'], memoryIo({ 'p.policy': 'x' }))).toBe(2);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
