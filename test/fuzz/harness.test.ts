// The mutation harness itself: inputs are a function of (seed, entry, index), the
// corpus holds every filter-file format, the judge tells each kind of problem, and
// a finding's replay command makes and runs the same input again.

import { describe, expect, it } from 'vitest';
import { loadCorpus, traceBlocks } from '../../sim/fuzz/corpus.ts';
import { ENTRIES } from '../../sim/fuzz/entries.ts';
import { judge, located, makeInput, runInput, type Input } from '../../sim/fuzz/harness.ts';
import { main } from '../../sim/cli/main.ts';
import { memoryIo } from '../../sim/cli/io.ts';

const entry = (n: string) => ENTRIES.find((e) => e.name === n)!;
const text = (file: string, data = 'x'): Input => ({ entry: 'replay', index: 0, file, data, from: '' });

describe('mutation harness', () => {
  it('makes the same input from the same seed, entry and index', () => {
    for (const n of ['replay', 'check']) {
      const a = makeInput(entry(n), 42, 17), b = makeInput(entry(n), 42, 17), c = makeInput(entry(n), 42, 18);
      expect(a).toEqual(b);
      expect([a.data, a.from]).not.toEqual([c.data, c.from]);
    }
  });

  it('seeds every filter-file format and every bundled trace', () => {
    const c = loadCorpus();
    for (const f of ['bpf_asm text', 'C array', 'bpf_asm decimal', 'quads', 'binary']) expect(c.filter.some((s) => s.from.endsWith(`(${f})`))).toBe(true);
    expect(c.filter.some((s) => s.data instanceof Uint8Array)).toBe(true);
    expect(c.trace.some((s) => s.from.startsWith('scenarios/'))).toBe(true);
    expect(c.trace.some((s) => s.from.startsWith('test/bpf/traces/'))).toBe(true);
  });

  it('splits a trace file into its traces, programs included', () => {
    const t = 'trace a\n  program p\n    ret #0\n  end\n  ring r\nend\n# c\ntrace b kernels=7.3\n  nnp\nend\n';
    expect(traceBlocks(t)).toEqual(['trace a\n  program p\n    ret #0\n  end\n  ring r\nend\n', 'trace b kernels=7.3\n  nnp\nend\n']);
  });

  it('judges exit 3, bad exit codes, unlocated errors and slow inputs', () => {
    const i = text('in.trace');
    const o = (code: number, stderr = '', ms = 1) => ({ code, stderr, ms, outBytes: 0 });
    expect(judge(i, o(0))).toBeNull();
    expect(judge(i, o(1))).toBeNull();
    expect(judge(i, o(3, 'internal error'))?.kind).toBe('exit 3');
    expect(judge(i, o(-1, 'uncaught: x'))?.kind).toBe('uncaught');
    expect(judge(i, o(4))?.kind).toBe('bad exit code');
    expect(judge(i, o(0, '', 6000))?.kind).toBe('hang');
    expect(judge(i, o(2, 'in.trace:3:4: error: bad\n   3 | x\n'))).toBeNull();
    expect(judge(i, o(2, 'error: something is wrong\n'))?.kind).toBe('unlocated error');
    expect(judge(i, o(2, 'in.trace:3:4: error: bad\nerror: and this one has no place\n'))?.kind).toBe('unlocated error');
  });

  it('accepts a byte or instruction as the place in a binary file, and whole-file errors', () => {
    const bin: Input = { ...text('in.bin'), data: new Uint8Array(3) };
    expect(located('error: in.bin: 3 bytes is not a whole number of 8-byte instructions: instruction 0 starts at byte 0\n', bin)).toBe(true);
    expect(located('error: in.trace holds no trace\n', text('in.trace'))).toBe(true);
    expect(located('error: in.trace: cannot do that\n', text('in.trace'))).toBe(false);
  });

  it('does not judge the quoted input under an error (seed 2026, explain #11791 quoted `parse-error:`)', () => {
    const quoted = 'in.trace:1:7: error: bad name\n   1 | trace parse-error:resets\n         ^^^^\n';
    expect(located(quoted, text('in.trace'))).toBe(true);
    // An unlocated message is still caught when an excerpt is around it.
    expect(located(quoted + 'error: no place\n', text('in.trace'))).toBe(false);
  });

  it('runs an input in-process, and --index runs the same input and writes it where asked', async () => {
    const input = makeInput(entry('asm'), 9, 3);
    const direct = await runInput(entry('asm'), input);
    const io = memoryIo();
    const code = await main(['fuzz', '--inputs', '--seed', '9', '--entry', 'asm', '--index', '3'], io);
    expect(io.stdout).toContain(`asm #3 (seed 9): ringfence asm ${input.file} -> exit ${direct.code}`);
    expect(code).toBe(judge(input, direct) ? 1 : 0);
  });

  it('rejects an unknown entry and out-of-range numbers with exit 2', async () => {
    for (const argv of [['--entry', 'nope'], ['--count', '0'], ['--workers', '65'], ['--count', ''], ['--index', '-1', '--entry', 'asm']]) {
      const io = memoryIo();
      expect(await main(['fuzz', '--inputs', ...argv], io)).toBe(2);
      expect(io.stderr).toMatch(/error:/);
    }
  });

  it('a small campaign in worker threads runs every input and finds nothing in the bundled seeds\' neighbourhood', async () => {
    const io = memoryIo();
    const code = await main(['fuzz', '--inputs', '--seed', '3', '--entry', 'asm,run', '--count', '20', '--workers', '2'], io);
    expect(io.stdout).toContain('40 inputs');
    expect(code).toBe(io.stdout.includes('findings') ? 1 : 0);
  }, 60_000);
});
