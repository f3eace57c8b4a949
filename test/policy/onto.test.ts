// compile --onto: random policies added to random holders (filters a random policy
// compiled to, random kernel-accepted programs, random legacy lists). What the holder
// ends with is run by the VM on random and boundary contexts and compared with an
// independent statement: the intent's verdict (model/policy/evaluate.ts) AND the
// holder's old verdict (the VM on its old chain). The proof agrees; the classification
// is sound; only needed filters are emitted. Then the simulator end to end, and the
// command's located errors.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { getProfile, opLastFor, type KernelProfile } from '../../model/profile/profiles.ts';
import type { Policy } from '../../model/policy/ast.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import { legacyOpAllowed, ruleAllows } from '../../model/policy/evaluate.ts';
import { compileOnto, proveOnto, type Existing, type HolderLegacy, type OntoCompiled } from '../../model/policy/onto.ts';
import { parsePolicy } from '../../model/policy/parse.ts';
import { boundaryValues, heldRegistrations, policyArb, type HeldRegistration } from '../../sim/testing/policies.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayTrace, replayPassed } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';
import { emitTrace } from '../../sim/policy/trace.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { command as compileCommand } from '../../sim/cli/commands/compile.ts';
import { chainVerdict, passed, rawArb, tableWith, type TestChain } from './contexts.ts';

const OPS = [OP.NOP, OP.READ, OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.CONNECT, OP.CLOSE, OP.SEND];

interface Holder { regs: HeldRegistration[]; legacy: HolderLegacy; refused: boolean }

/** A holder: the registrations of a random policy, maybe random programs on top, maybe legacy lists. */
const holderArb = (kernels: Policy['kernels']): fc.Arbitrary<Holder> => fc.record({
  regs: heldRegistrations(kernels),
  sqe: fc.option(fc.record({ ops: fc.uniqueArray(fc.constantFrom(...OPS)), allowed: fc.integer({ min: 0, max: 0x7f }), required: fc.constantFrom(0, 0, 1, 0x10) })),
  registerOps: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 37 }))),
  refused: fc.boolean(),
}).map(({ regs, sqe, registerOps, refused }) => ({ regs, legacy: { sqe, registerOps }, refused: refused || sqe !== null || registerOps !== null }));

/** An intent: a random policy, sometimes with an SQE op list (which must list the opcodes it allows). */
const intentArb: fc.Arbitrary<Policy> = fc.tuple(policyArb, fc.option(fc.uniqueArray(fc.constantFrom(...OPS)))).map(([p, extra]) => {
  if (!extra) return p;
  const ruled = p.rules.filter((r) => r.action === 'allow' || r.cond).map((r) => r.opcode);
  return { ...p, sqeOps: [...new Set([...ruled, ...extra])] };
});

function existingOf(h: Holder, k: KernelProfile): Existing {
  const slots = tableWith(k, [], h.regs.filter((r) => r.opcode < opLastFor(k)));
  return { profile: k, slots, legacy: h.legacy, legacyRefused: h.refused ? 'the holder already has restrictions (test)' : null };
}

/** The holder's verdict per opcode, restated: its legacy op list, then its chain by the VM. */
function oldOpAllows(h: Holder, k: KernelProfile, op: number, ctx: Uint32Array, slots: TestChain[]): boolean {
  const s = h.legacy.sqe;
  if (s && !s.ops.includes(op)) return false;
  return chainVerdict(k, slots[op], ctx);
}
/** The legacy flag check on a request with no SQE flag set: it fails only when a flag is required. */
const noFlagsOk = (h: Holder) => !h.legacy.sqe || h.legacy.sqe.required === 0;

function check(p: Policy, h: Holder, raws: Record<string, bigint>[]): OntoCompiled | null {
  const existing = p.kernels.map((n) => existingOf(h, getProfile(n)!));
  const r = compileOnto(p, existing);
  if (!r.ok) {
    // The one refusal: a policy legacy part the holder cannot take (never sqe ops: those become filters).
    expect(r.error.every((e) => /cannot express/.test(e.message)), r.error.map((e) => e.message).join('; ')).toBe(true);
    return null;
  }
  const oc = r.value;
  expect(proveOnto(oc).failures).toEqual([]);
  // Only what is needed: every filter other than an allow-all keeper is for an opcode classified needed.
  for (const f of oc.filters) {
    const keeper = f.insns.length === 1 && f.insns[0].k !== 0;
    if (keeper) expect(oc.filters.some((x) => x.flags & 1), 'keepers only beside DENY_REST').toBe(true);
    else expect(oc.opcodes[f.opcode].needed !== null || oc.opcodes[f.opcode].opaque, `filter for ${f.opcode}`).toBe(true);
  }
  const sqeEntries = oc.legacy?.filter((e) => e.type === RESTRICTION.SQE_OP || e.type === RESTRICTION.SQE_FLAGS_ALLOWED || e.type === RESTRICTION.SQE_FLAGS_REQUIRED) ?? [];
  for (const n of p.kernels) {
    const k = getProfile(n)!;
    const before = tableWith(k, [], h.regs.filter((x) => x.opcode < opLastFor(k)));
    const after = tableWith(k, before, oc.filters);
    for (const op of OPS) for (const raw of raws) {
      const { fields, ctx } = passed(k, op, raw);
      const intent = legacyOpAllowed(p, op) && ruleAllows(p, op, fields);
      const oldOp = oldOpAllows(h, k, op, ctx, before);
      const emittedOp = sqeEntries.length === 0 || oc.legacy!.some((e) => e.type === RESTRICTION.SQE_OP && e.value === op);
      const now = emittedOp && noFlagsOk(h) && oldOpAllows(h, k, op, ctx, after);
      expect(now, `${n} ${op} ${JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`).toBe(intent && oldOp && noFlagsOk(h));
      // The classification is sound: a context on each side of the difference is reported
      // (per opcode on the context; the SQE flags as a legacy part).
      if (oldOp && !intent) expect(oc.opcodes[op].needed, `needed ${op}`).not.toBeNull();
      if (intent && !oldOp && !oc.opcodes[op].opaque) expect(oc.opcodes[op].unreachable, `unreachable ${op}`).not.toBeNull();
      if (intent && !noFlagsOk(h)) expect(oc.legacyParts.find((l) => l.part === 'sqe flags')?.unreachable, 'flags unreachable').toBeTruthy();
    }
  }
  return oc;
}

describe('compile --onto means intent AND existing', () => {
  it('random policies onto random holders, on random contexts (VM vs the evaluator AND the old chain)', () => {
    fc.assert(fc.property(intentArb.chain((p) => fc.tuple(fc.constant(p), holderArb(p.kernels))), fc.array(rawArb, { minLength: 12, maxLength: 12 }),
      ([p, h], raws) => { check(p, h, raws); }), { numRuns: 40 });
  }, 240_000);

  it('random policies onto random holders, on the boundaries of both', () => {
    fc.assert(fc.property(intentArb.chain((p) => fc.tuple(fc.constant(p), holderArb(p.kernels), policyArb)), fc.infiniteStream(fc.nat()), ([p, h, q], pick) => {
      const b = Object.fromEntries(['family', 'type', 'protocol', 'flags', 'mode', 'resolve', 'port', 'addr'].map((f) => [f, [...boundaryValues(p, f), ...boundaryValues(q, f)]]));
      const it = pick[Symbol.iterator]();
      const raws = Array.from({ length: 40 }, () => Object.fromEntries(Object.entries(b).map(([f, vs]) => [f, vs[it.next().value % vs.length]])));
      check(p, h, raws);
    }), { numRuns: 30 });
  }, 240_000);

  it('onto a holder that already carries the policy, nothing is needed and nothing is emitted', () => {
    fc.assert(fc.property(policyArb, (p) => {
      const c = compilePolicy(p);
      if (!c.ok) throw new Error(c.error[0].message);
      const h: Holder = { regs: c.value.filters, legacy: { sqe: null, registerOps: null }, refused: true };
      const oc = check(p, h, [{}])!;
      expect(oc.filters).toEqual([]);
      expect(oc.opcodes.filter((o) => o.needed)).toEqual([]);
    }), { numRuns: 40 });
  }, 240_000);

  it('onto a fresh holder, the result means the intent (as a fresh compile does)', () => {
    fc.assert(fc.property(policyArb, fc.array(rawArb, { minLength: 8, maxLength: 8 }), (p, raws) => {
      const oc = check(p, { regs: [], legacy: { sqe: null, registerOps: null }, refused: false }, raws)!;
      expect(oc.opcodes.filter((o) => o.unreachable)).toEqual([]);
    }), { numRuns: 30 });
  }, 240_000);

  it('a condition that always holds lowers to a constant (found by the property)', () => {
    const p: Policy = { name: 'p', holder: 'ring', kernels: ['7.3'], rest: 'deny', sqeOps: [OP.CONNECT, OP.SOCKET],
      rules: [{ opcode: OP.CONNECT, action: 'deny', cond: { k: 'in', field: 'family', negated: false, items: [{ lo: 0, hi: 0xffff }] } }, { opcode: OP.SOCKET, action: 'allow' }] };
    const oc = check(p, { regs: [], legacy: { sqe: null, registerOps: null }, refused: false }, [{}, { family: 2n }])!;
    expect(oc.filters.every((f) => f.insns.length > 0)).toBe(true);
  });

  it('a wrong emitted filter is a proof failure with a context both sides re-check', () => {
    const p = parsePolicy('p.policy', 'policy p holder=task kernels=7.0..7.3\nallow SOCKET if family in {AF_INET, AF_INET6}\ndeny rest\n');
    if (!p.ok) throw new Error(p.error[0].message);
    const existing = p.value.kernels.map((n) => existingOf({ regs: [], legacy: { sqe: null, registerOps: null }, refused: false }, getProfile(n)!));
    const r = compileOnto(p.value, existing);
    if (!r.ok) throw new Error(r.error[0].message);
    const bad: OntoCompiled = { ...r.value, filters: r.value.filters.map((f) => ({ ...f, insns: f.insns.map((i) => (i.k === 10 ? { ...i, k: 11 } : i)) })) };
    const proof = proveOnto(bad);
    expect(proof.ok).toBe(false);
    const f = proof.failures.find((x) => x.words)!;
    expect(f.opcode).toBe(OP.SOCKET);
    expect(f.message).not.toMatch(/re-check disagrees/);
    expect(f.fields!['socket.family']).toMatch(/^0x(a|b)$/);
  });
});

const TRACE = `trace base kernels=7.0,7.1,7.2,7.3
  program deny_inet
    ld [socket.family]
    jeq #AF_INET, drop, keep
  keep: ret #1
  drop: ret #0
  end
  nnp => 0
  bpf task op=SOCKET deny_inet => 0
  ring mine flags=R_DISABLED => 0
  bpf mine op=OPENAT deny_inet => 0
  fork child => 0
end
`;
const policies = (f: string) => readFileSync(new URL(`../../scenarios/policies/${f}`, import.meta.url), 'utf8');

async function run(argv: string[], files: Record<string, string>) {
  const io = memoryIo(files);
  const code = await compileCommand.run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('compile --onto on the simulator', () => {
  it.each([
    ['tcp-server.policy', ['--task', 'init']],
    ['tcp-server.policy', ['--task', 'child']],
    ['unix-only.policy', []],
    ['openat2-beneath.policy', ['--ring', 'mine']],
    ['openat2-beneath.policy', ['--ring', 'init:mine']],
  ])('%s %s: the emitted trace replays the setup, adds what is needed, and passes on every kernel', async (policy, extra) => {
    const r = await run(['p.policy', '--onto', 't.trace', ...extra, '--emit', 'trace'], { 'p.policy': policies(policy), 't.trace': TRACE });
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const parsed = parseTraceFile('o.trace', r.out);
    if (!parsed.ok) throw new Error(parsed.error[0].message);
    expect(r.out).toContain('# the holder as the source trace leaves it:');
    for (const k of ['7.0', '7.1', '7.2', '7.3']) {
      const run1 = replayTrace(parsed.value.traces[0], getProfile(k)!, replayOptions({ invariants: true }));
      expect(replayPassed(run1), `${k}: ${JSON.stringify(run1.failure?.expected)} ${run1.failure?.actual} line ${run1.failure?.command.loc.line}`).toBe(true);
    }
  });

  it('says what is needed, already stricter and unreachable', async () => {
    const r = await run(['p.policy', '--onto', 't.trace', '--json'], { 'p.policy': policies('tcp-server.policy'), 't.trace': TRACE });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.onto.unreachable.map((u: { opcode: string }) => u.opcode)).toEqual(['SOCKET']);
    expect(j.onto.unreachable[0].example.fields['socket.family']).toBe('0x2');
    expect(j.onto.needed.map((u: { opcode: string }) => u.opcode)).toContain('SOCKET');
    // Onto the holder the policy itself leaves, everything is already stricter.
    const own = await run(['p.policy', '--emit', 'trace'], { 'p.policy': policies('unix-only.policy') });
    const again = await run(['p.policy', '--onto', 't.trace', '--json'], { 'p.policy': policies('unix-only.policy'), 't.trace': own.out });
    expect(again.code).toBe(0);
    const j2 = JSON.parse(again.out);
    expect(j2.registrations).toEqual([]);
    expect(j2.onto.needed).toEqual([]);
    expect(j2.onto.stricter.length).toBeGreaterThan(40);
  });

  it('the C for --onto installs only the needed registrations and says onto what', async () => {
    const r = await run(['p.policy', '--onto', 't.trace', '--emit', 'c'], { 'p.policy': policies('unix-only.policy'), 't.trace': TRACE });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--onto: adds to task init after command 4/);
  });
});

describe('compile --onto: located errors, exit 2', () => {
  const task = policies('tcp-server.policy');
  const ring = policies('openat2-beneath.policy');
  it.each([
    ['a trace that does not parse', ['p.policy', '--onto', 't.trace'], task, 'trace t\n  frob\nend\n', /^t\.trace:2:3: error/],
    ['a trace that does not replay', ['p.policy', '--onto', 't.trace'], task, 'trace t\n  ring a => 0\n  submit a => 5\nend\n', /^t\.trace:3:\d+: error: trace t does not replay on 7\.0: expected 5/],
    ['an unknown task', ['p.policy', '--onto', 't.trace', '--task', 'nobody'], task, TRACE, /^t\.trace:1:\d+: error: trace base has no task 'nobody' after command 4 .*\(tasks: init, child\)/],
    ['an unknown ring', ['p.policy', '--onto', 't.trace', '--ring', 'nope'], ring, TRACE, /^t\.trace:1:\d+: error: task init holds no ring 'nope'.*\(its rings: mine\)/],
    ['--task with a ring policy', ['p.policy', '--onto', 't.trace', '--task', 'init'], ring, TRACE, /^p\.policy:4:\d+: error: --task init names a task, but policy openat2-beneath is for holder=ring/],
    ['--ring with a task policy', ['p.policy', '--onto', 't.trace', '--ring', 'mine'], task, TRACE, /^p\.policy:3:\d+: error: --ring mine names a ring, but policy tcp-server is for holder=task/],
    ['both --task and --ring', ['p.policy', '--onto', 't.trace', '--task', 'init', '--ring', 'mine'], task, TRACE, /^p\.policy:3:\d+: error: --task and --ring both given/],
    ['a target kernel the trace does not run on', ['p.policy', '--onto', 't.trace'], task, TRACE.replace('kernels=7.0,7.1,7.2,7.3', 'kernels=7.2,7.3'), /^p\.policy:3:\d+: error: trace base \(t\.trace:1\) runs on 7\.2, 7\.3 only, and policy tcp-server also targets 7\.0, 7\.1/],
    ['--at outside the trace', ['p.policy', '--onto', 't.trace', '--at', '99'], task, TRACE, /^t\.trace:1:\d+: error: --at 99 is outside trace base/],
    ['a holder whose register list refuses the filters (7.3)', ['p.policy', '--kernel', '7.3', '--onto', 't.trace'], policies('unix-only.policy'), 'trace t kernels=7.3\n  restrict task register_op:ENABLE_RINGS => 0\nend\n', /^t\.trace:1:\d+: error: task init .* cannot take the registrations: on 7\.3: `bpf task op=\w+ onto_\w+ pdu=\d+` returns -EACCES/],
    ['legacy parts an enabled ring cannot take', ['p.policy', '--kernel', '7.0..7.3', '--onto', 't.trace', '--ring', 'mine'], policies('legacy-ring.policy'), 'trace t kernels=7.0,7.1,7.2,7.3\n  ring mine => 0\nend\n', /^p\.policy:6:1: error: the holder can still use SQE flags 0x1 on 7\.0, which `sqe flags` forbids, but the ring is enabled/],
  ])('%s', async (_, argv, policy, trace, message) => {
    const r = await run(argv, { 'p.policy': policy, 't.trace': trace });
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--task without --onto is a usage error', async () => {
    const r = await run(['p.policy', '--task', 'init'], { 'p.policy': task });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--task needs --onto TRACE/);
  });
});
