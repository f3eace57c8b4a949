// The policy analysis: the paths the symbolic analysis finds describe exactly what
// the program does on concrete contexts (checked against a concrete run on random
// contexts), and the report names conditions and the deciding filter.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { validate } from '../../model/bpf/validate.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { analyze, type Atom } from '../../model/bpf/symbolic.ts';
import { knownFor, opcodePolicy } from '../../sim/explore/policy/policy.ts';
import { NO_LEGACY, type Chain } from '../../sim/explore/reference/state.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

const p = getProfile('7.3')!;
const ins = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });
const RET1 = ins(0x06, 0, 0, 1), RET0 = ins(0x06, 0, 0, 0);

/** Random small filters: loads of context words, masks and shifts, forward jumps, returns. */
const consts = [0, 1, 2, 10, 0x2d, 0x12d, 0x0c002d, 0x800, 0xffffffff];
const program = fc.array(fc.tuple(fc.nat(9), fc.nat(9), fc.constantFrom(0, 4, 8, 16, 20, 24, 28), fc.constantFrom(...consts), fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 8 })
  .map((spec) => {
    const body: Insn[] = [];
    for (const [kind, kind2, off, k, jt, jf] of spec) {
      if (kind < 3) body.push(ins(0x20, 0, 0, off));
      else if (kind === 3) body.push(ins(0x54, 0, 0, k));
      else if (kind === 4) body.push(ins(0x74, 0, 0, k & 31));
      else if (kind === 5) body.push(ins(0x07, 0, 0, 0));
      else body.push(ins([0x15, 0x25, 0x35, 0x45, 0x1d][kind2 % 5], jt, jf, k));
    }
    // Jumps may land on any of the three tail returns.
    return [...body, RET1, ins(0x16, 0, 0, 0), RET0];
  })
  .filter((insns) => validate(insns, p).ok);

const holds = (a: Atom, ctx: Uint32Array): boolean => {
  const x = ((ctx[a.f.off >>> 2] >>> a.f.shift) & a.f.mask) >>> 0;
  switch (a.rel) {
    case 'eq': return x === a.v; case 'ne': return x !== a.v; case 'gt': return x > a.v; case 'ge': return x >= a.v;
    case 'lt': return x < a.v; case 'le': return x <= a.v; case 'any': return (x & a.v) !== 0; case 'none': return (x & a.v) === 0;
  }
};

describe('symbolic path analysis', () => {
  it('agrees with running the program on random contexts', () => {
    const known = knownFor(p, OP.SOCKET);
    let checked = 0;
    const word = fc.oneof(fc.constantFrom(...consts), fc.nat({ max: 0xffffffff }));
    fc.assert(fc.property(program, fc.array(word, { minLength: 10, maxLength: 10 }), (insns, words) => {
      const ctx = new Uint32Array(words.map((w, i) => ((w & ~known.mask[i]) | known.value[i]) >>> 0));
      const v = validate(insns, p);
      if (!v.ok) return;
      const concrete = v.program.run(ctx) !== 0;
      const a = analyze(insns, { ctxSize: 40, known });
      if (a.partial || a.paths.some((x) => x.opaque.length)) return;
      const matching = a.paths.filter((x) => x.atoms.every((at) => holds(at, ctx)));
      expect(matching.length).toBe(1);
      expect(matching[0].allow).toBe(concrete);
      checked++;
    }), { numRuns: 1500, seed: 11 });
    // Most programs are fully expressed on fields, so the comparison is not vacuous.
    expect(checked).toBeGreaterThan(700);
  });
});

const prog = (name: string, insns: Insn[]) => ({ name, insns });
// ld [16]; jeq #AF_UNIX, allow; jeq #AF_INET6, allow; deny
const UNIX_OR_V6 = prog('unix_or_v6', [ins(0x20, 0, 0, 16), ins(0x15, 1, 0, 1), ins(0x15, 0, 1, 10), RET1, RET0]);

describe('opcode policy', () => {
  const chains = (m: [number, Chain][]) => new Map(m);
  it('gives a value set for a family filter and names the deciding filter', () => {
    const pol = opcodePolicy(p, { legacyActive: false, legacy: NO_LEGACY, chains: chains([[OP.SOCKET, [prog('allow', [RET1]), UNIX_OR_V6]]]) }, OP.SOCKET);
    expect(pol.verdict).toBe('conditional');
    expect(pol.condition).toBe('socket.family ∈ {AF_UNIX, AF_INET6}');
    expect(pol.reason).toBe('decided by filter #2 (unix_or_v6)');
  });
  it('says a DENY_REST slot stays closed even under a newer allowing filter', () => {
    const pol = opcodePolicy(p, { legacyActive: false, legacy: NO_LEGACY, chains: chains([[OP.NOP, [prog('allow', [RET1]), 'DENY']]]) }, OP.NOP);
    expect(pol.verdict).toBe('deny');
    expect(pol.reason).toMatch(/ends in DENY/);
  });
  it('puts the legacy allow list first', () => {
    const pol = opcodePolicy(p, { legacyActive: true, legacy: { ...NO_LEGACY, opReg: true, sqeOps: 1n }, chains: null }, OP.SOCKET);
    expect(pol.verdict).toBe('deny');
    expect(pol.reason).toMatch(/sqe_op/);
    const nop = opcodePolicy(p, { legacyActive: true, legacy: { ...NO_LEGACY, opReg: true, sqeOps: 1n }, chains: null }, OP.NOP);
    expect(nop.verdict).toBe('conditional');
    expect(nop.condition).toBe('no SQE flag is set');
  });
  it('treats the filters as all-must-allow (conditions of two filters combine)', () => {
    // Newest: protocol must be 0; older: family AF_UNIX or AF_INET6.
    const proto0 = prog('proto0', [ins(0x20, 0, 0, 24), ins(0x15, 0, 1, 0), RET1, RET0]);
    const pol = opcodePolicy(p, { legacyActive: false, legacy: NO_LEGACY, chains: chains([[OP.SOCKET, [proto0, UNIX_OR_V6]]]) }, OP.SOCKET);
    expect(pol.condition).toBe('(socket.protocol == 0 and socket.family == AF_UNIX) or (socket.protocol == 0 and socket.family == AF_INET6)');
  });
});

describe('ringfence policy', () => {
  const trace = `trace t kernels=7.3
  program unix_or_v6
    ld [16]
    jeq #AF_UNIX, keep, next
  next: jeq #AF_INET6, keep, drop
  keep: ret #1
  drop: ret #0
  end
  ring early
  bpf task op=SOCKET flags=DENY_REST unix_or_v6
  ring r
end
`;
  it('reports the task policy, the earlier unrestricted ring, and a ring policy', async () => {
    const io = memoryIo({ 't.trace': trace });
    expect(await main(['policy', 't.trace'], io)).toBe(0);
    expect(io.stdout).toContain('SOCKET: allowed iff socket.family ∈ {AF_UNIX, AF_INET6}');
    expect(io.stdout).toContain('it already holds ring early, which has no SQE restrictions and no filters');
    const io2 = memoryIo({ 't.trace': trace });
    expect(await main(['policy', 't.trace', '--ring', 'early'], io2)).toBe(0);
    expect(io2.stdout).toContain('always allowed (65)');
    const io3 = memoryIo({ 't.trace': trace });
    expect(await main(['policy', 't.trace', '--ring', 'r', '--at', '1'], io3)).toBe(2);
    expect(io3.stderr).toContain("task init holds no ring 'r' after command 1");
  });
  it('reports a located parse error and exit 2', async () => {
    const io = memoryIo({ 'bad.trace': 'trace t\n  ring r flags=BOGUS\nend\n' });
    expect(await main(['policy', 'bad.trace'], io)).toBe(2);
    expect(io.stderr).toMatch(/bad\.trace:2:\d+: error/);
  });
});
