// The option layer (sim/cli/options.ts) through every command: each numeric option
// of each command, given a bad value, is one usage error (exit 2, one line) that
// names the range; nothing runs. The table comes from the commands' own
// declarations, so a new command or option is covered without editing this file.

import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../sim/cli/io.ts';
import { loadAll, main } from '../../sim/cli/main.ts';
import { isDeclared, parseNumber, parseOptions, intOption, type IntOption } from '../../sim/cli/options.ts';

async function rf(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** Bad values for an integer option with range [min, max]. */
function badValues(o: IntOption): string[] {
  return [
    String(BigInt(o.min) - 1n), String(BigInt(o.max) + 1n), '', ' ', 'abc', '12abc', '1.5', '1e3', '0x', '010', '-010', '00',
    String(2n ** 31n), String(2n ** 32n), String(2n ** 64n), String(-(2n ** 64n)), '9'.repeat(400), '--', '-', '+1',
  ].filter((v) => {
    // keep only values that really are outside the range (2^31 is inside a seed's range check? no: SEED max is 2^31-1)
    const n = parseNumber(v);
    return !n.ok || n.value < BigInt(o.min) || n.value > BigInt(o.max);
  });
}

describe('every numeric option of every command has a range and a one-line usage error', async () => {
  const commands = (await loadAll()).filter(isDeclared);
  const table = commands.flatMap((c) =>
    Object.entries(c.def.options).filter(([, o]) => o.kind === 'int').map(([name, o]) => [c.name, name, o as IntOption] as const));

  it('covers the commands that take numbers', () => {
    const covered = new Set(table.map(([c]) => c));
    for (const c of ['explore', 'fuzz', 'oracle', 'policy']) expect(covered.has(c), c).toBe(true);
    expect(table.length).toBeGreaterThanOrEqual(10);
  });

  for (const [cmd, name, o] of table) {
    it(`${cmd} --${name} (${o.min} to ${o.max})`, async () => {
      for (const v of badValues(o)) {
        for (const argv of [[cmd, `--${name}`, v], [cmd, `--${name}=${v}`]]) {
          const r = await rf(...argv);
          const what = JSON.stringify(argv);
          expect(r.code, what).toBe(2);
          expect(r.out, what).toBe('');
          expect(r.err.split('\n'), what).toHaveLength(2); // one line and its newline
          expect(r.err, what).toMatch(new RegExp(`^error: --${name}(:| wants an integer from ${o.min} to ${o.max}, got )`));
          expect(r.err, what).toContain(`; see 'ringfence help ${cmd}'`);
        }
      }
      // a missing value at the end of the line, too
      const r = await rf(cmd, `--${name}`);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--${name} needs a value (an integer from ${o.min} to ${o.max})`);
    });
  }

  it('reads -1 as a value, with the same message as abc', async () => {
    const a = await rf('explore', '--depth', '-1');
    const b = await rf('explore', '--depth', 'abc');
    expect(a.err.replace("'-1'", 'X')).toBe(b.err.replace("'abc'", 'X'));
  });

  it('every opcode option refuses an octal-looking, empty, unknown or huge opcode', async () => {
    for (const c of commands) {
      for (const [name, o] of Object.entries(c.def.options)) {
        if (o.kind !== 'opcode') continue;
        for (const v of ['010', '', 'FROB', String(2n ** 32n), '-1']) {
          const r = await rf(c.name, 'p.bpf', `--${name}`, v);
          expect(r.code, `${c.name} --${name} ${v}`).toBe(2);
          expect(r.err.split('\n')).toHaveLength(2);
        }
      }
    }
    expect((await rf('check', 'x', '--op', '010')).err).toContain("'010' has a leading zero: decimal or octal is ambiguous (write 10, or octal 0o10)");
  });
});

describe('the number rules are the trace language\'s', () => {
  it('decimal, 0x hex, 0o octal and a sign; a leading zero is ambiguous', () => {
    expect(parseNumber('42')).toEqual({ ok: true, value: 42n });
    expect(parseNumber('0x2a')).toEqual({ ok: true, value: 42n });
    expect(parseNumber('0o52')).toEqual({ ok: true, value: 42n });
    expect(parseNumber('-3')).toEqual({ ok: true, value: -3n });
    expect(parseNumber('0')).toEqual({ ok: true, value: 0n });
    for (const bad of ['010', '0644', '', '1.0', '1e2', ' 1', '0b1']) expect(parseNumber(bad).ok, bad).toBe(false);
  });

  it('an option in range gives its number; defaults fill what is not given', () => {
    const spec = { n: intOption('n', { min: 1, max: 9, default: 4 }), m: intOption('m', { min: 0, max: 2 ** 40 }) };
    const d = parseOptions(spec, []);
    expect(d.ok && d.value.opts).toEqual({ n: 4 });
    const p = parseOptions(spec, ['--n', '0x9', '--m=0o10', '--', '--n']);
    expect(p.ok && p.value.opts).toEqual({ n: 9, m: 8 });
    expect(p.ok && p.value.args).toEqual(['--n']);
  });
});
