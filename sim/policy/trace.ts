// The v1 trace that installs a compiled policy and probes it (docs/policy.md "The
// trace"). Each probe goes to an unrestricted ring made first (`free`) and to the
// policy's holder (`r`); the expectations are the intent's verdict: what the free
// ring got when the intent allows, -EACCES when it denies. The intent is evaluated
// on the context the kernel builds for the request (model/ctx/populate.ts after the
// opcode's prep), so kernel-added bits such as OPENAT's O_LARGEFILE are accounted for.

import { rfError, type RfError, type Result } from '../../model/errors.ts';
import { opcodeName } from '../../model/abi/opcodes.ts';
import { ERRNO } from '../../model/abi/errno.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { HANDLER_BY_OP } from '../../model/ops/index.ts';
import type { OpEnv } from '../../model/ops/env.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { FdTable } from '../../model/task/fd.ts';
import type { FsState } from '../../model/fs/fs.ts';
import { populateCtx } from '../../model/ctx/populate.ts';
import type { Compiled } from '../../model/policy/compile.ts';
import { legacyFlagsAllowed, legacyOpAllowed, ruleAllows } from '../../model/policy/evaluate.ts';
import { contextFields } from '../../model/policy/prove.ts';
import { formatQuadText } from '../trace/print.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { replayTrace, replayPassed } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import { FD_PRODUCING_OPS } from '../trace/fdops.ts';
import type { TraceCommand } from '../trace/ast.ts';
import { probesFor, type Probe } from './probes.ts';

const KIND = ['register_op', 'sqe_op', 'sqe_flags_allowed', 'sqe_flags_required'];
const FIRST_UD = 100;

export interface EmittedTrace { text: string; probes: number; dropped: string[] }

/**
 * How the trace composes with an existing holder (`compile --onto`): the source trace's
 * commands first (so the holder is what it was), then the registrations added to it.
 */
export interface OntoTrace {
  /** The source trace's body (programs and commands), as v1 lines. */
  setup: string[];
  /** The task that makes the registrations and probes (its own set, or the owner of the ring). */
  task: string;
  /** The ring holder's name; absent for a task holder. */
  ring?: string;
  /** The ring is still R_DISABLED after the setup: the trace enables it before probing. */
  ringDisabled?: boolean;
  /** The holder's legacy checks before the registrations (SQE flags 0). */
  legacyAllows(kernel: string, op: number): boolean;
  /** The holder's filters before the registrations, by the VM. */
  filtersAllow(kernel: string, op: number, words: Uint32Array): boolean;
  /** Names the setup already uses, which the added commands must not take. */
  taken: ReadonlySet<string>;
}

/** Names for the added rings and programs that the setup does not use. */
function freshNames(onto: OntoTrace | undefined): { free: string; held: string; prog: (n: string) => string } {
  if (!onto) return { free: 'free', held: 'r', prog: (n) => n };
  const fresh = (base: string) => { let n = base; for (let i = 2; onto.taken.has(n); i++) n = `${base}${i}`; return n; };
  return { free: fresh('rf_free'), held: onto.ring ?? fresh('rf_r'), prog: (n) => fresh(`onto_${n}`) };
}

function install(c: Compiled, onto?: OntoTrace): string[] {
  const p = c.policy;
  const out: string[] = [];
  const names = freshNames(onto);
  c.filters.forEach((f) => {
    out.push(`  program ${names.prog(f.name)}`);
    for (const i of f.insns) out.push(`    ${formatQuadText(i)}`);
    out.push('  end');
  });
  out.push(`  ring ${names.free} => 0                # unrestricted: what each probe does without the policy`);
  const at = onto && onto.task !== 'init' ? `@${onto.task} ` : '';
  if (onto) out.push('# the holder as the source trace leaves it:', ...onto.setup, '# what compile --onto adds to it:');
  const target = p.holder === 'task' ? 'task' : names.held;
  if (p.holder === 'ring' && !onto) out.push(c.legacy ? `  ring ${names.held} flags=R_DISABLED => 0` : `  ring ${names.held} => 0`);
  if (c.legacy) out.push(`  ${at}restrict ${target} ${c.legacy.map((e) => `${KIND[e.type]}:${e.type === RESTRICTION.SQE_FLAGS_ALLOWED || e.type === RESTRICTION.SQE_FLAGS_REQUIRED ? `0x${e.value.toString(16)}` : e.value}`).join(' ')} => 0`);
  for (const f of c.filters) out.push(`  ${at}bpf ${target} op=${opcodeName(f.opcode)} ${names.prog(f.name)}${f.flags & 1 ? ' flags=DENY_REST' : ''} pdu=${f.pdu} => 0`);
  if (p.holder === 'task') out.push(`  ${at}ring ${names.held} => 0                   # created after the task registration: it inherits the policy`);
  else if (c.legacy || onto?.ringDisabled) out.push(`  ${at}enable ${names.held} => 0`);
  // Completions the setup left on the holder's ring would be read with the first probe's.
  if (onto && p.holder === 'ring') out.push(`  ${at}cqes ${names.held}`);
  return out;
}

function probeLines(pr: Probe, ud: number, exp: { free: string; held: string } | undefined, onto?: OntoTrace): string[] {
  const lines: string[] = [`# ${pr.why}`];
  const names = freshNames(onto);
  const at = onto && onto.task !== 'init' ? `@${onto.task} ` : '';
  for (const [ring, x, who] of [[names.free, exp?.free, ''], [names.held, exp?.held, at]] as const) {
    lines.push(`  ${who}sqe ${ring} op=${opcodeName(pr.opcode)} ud=${ud}${pr.fields ? ` ${pr.fields}` : ''}`);
    lines.push(`  ${who}submit ${ring} => 1`);
    lines.push(`  ${who}cqes ${ring}${x !== undefined ? ` => ${ud}:${x}` : ''}`);
  }
  return lines;
}

const res = (op: number, r: number) => (r >= 0 && FD_PRODUCING_OPS.has(op) ? 'fd' : String(r));

export interface TraceOptions {
  /** Probe these requests instead of the policy's boundaries (a counterexample). */
  probes?: Probe[];
  /** Require the trace to pass on the simulator (off for a counterexample, which must fail). */
  check?: boolean;
  name?: string;
  /** Compose with a holder that already carries restrictions (compile --onto). */
  onto?: OntoTrace;
}

/**
 * What an opcode's prep sees of its submitter: preps read the profile (known flag bits)
 * and the ring's setup flags and registrations, never the fd table or the file system.
 * The probes' ring is set up plain, with nothing registered.
 */
function prepEnv(k: KernelProfile): OpEnv {
  return { profile: k, ring: { flags: 0, reg: { files: 0, buffers: 0 } } as unknown as Ring, uid: 0, cap: true, fds: [] as unknown as FdTable, fs: undefined as unknown as FsState };
}

export function emitTrace(c: Compiled, o: TraceOptions = {}): Result<EmittedTrace, RfError> {
  const p = c.policy;
  const name = o.name ?? `policy-${p.name}`;
  const onto = o.onto;
  const head = [
    `# Generated by \`ringfence compile --emit trace\` from policy ${p.name}: installs it, then`,
    '# probes each boundary of each rule on an unrestricted ring and on the holder.',
    ...(onto ? ['# --onto: the source trace runs first; the expectations are the intent AND what the holder already had.'] : []),
    `trace ${name} kernels=${p.kernels.join(',')}`, ...install(c, onto)];
  const names = freshNames(onto);
  const probes = o.probes ?? probesFor(p);
  const draft = [...head, ...probes.flatMap((pr, i) => probeLines(pr, FIRST_UD + i, undefined, onto)), 'end', ''].join('\n');
  const parsed = parseTraceFile(`${name}.trace`, draft);
  if (!parsed.ok) return { ok: false, error: rfError('internal', `the emitted trace does not parse: ${parsed.error[0].message} (line ${parsed.error[0].loc?.line})`) };
  const trace = parsed.value.traces[0];
  const opts = replayOptions({ invariants: false });
  const sqeOf = new Map<number, TraceCommand>();
  // The probes are the commands after the last `cqes` of the install (the setup may use the same names and uds).
  const firstProbe = trace.commands.length - probes.length * 6;
  for (const cmd of trace.commands.slice(firstProbe)) if (cmd.c === 'sqe' && cmd.ring === names.held) sqeOf.set(Number(cmd.sqe.ud), cmd);
  const expected: ({ free: string; held: string } | string)[] = probes.map(() => ({ free: '', held: '' }));
  for (const k of c.profiles) {
    const run = replayTrace(trace, k, opts);
    if (run.error) return { ok: false, error: rfError('internal', `replaying the emitted trace on ${k.name}: ${run.error.message}`) };
    const cqe = (ring: string, ud: number) => {
      const i = trace.commands.findIndex((x, j) => j >= firstProbe && x.c === 'cqes' && x.ring === ring && trace.commands[j - 2]?.c === 'sqe' && Number((trace.commands[j - 2] as { sqe: { ud: bigint } }).sqe.ud) === ud);
      const cq = run.records[i]?.cqes;
      return cq && cq.length === 1 ? cq[0][1] : undefined;
    };
    probes.forEach((pr, i) => {
      const e = expected[i];
      if (typeof e === 'string') return;
      const ud = FIRST_UD + i;
      const free = cqe(names.free, ud);
      if (free === undefined) { expected[i] = `${opcodeName(pr.opcode)} ${pr.fields}: no single completion on ${k.name}`; return; }
      // An opcode the model does not complete gives -EOPNOTSUPP here where the kernel gives
      // its own result (docs/model.md): an expectation written from it would be wrong on a real kernel.
      if (free === -ERRNO.EOPNOTSUPP && run.unmodelled?.includes(opcodeName(pr.opcode))) { expected[i] = `${opcodeName(pr.opcode)} ${pr.fields}: the model does not complete ${opcodeName(pr.opcode)} (docs/model.md), so its result is not predicted`; return; }
      const cmd = sqeOf.get(ud) as Extract<TraceCommand, { c: 'sqe' }>;
      let held: number;
      if (!legacyOpAllowed(p, pr.opcode) || !legacyFlagsAllowed(p, 0) || (onto && !onto.legacyAllows(k.name, pr.opcode))) held = -ERRNO.EACCES;
      else {
        const prep = HANDLER_BY_OP[pr.opcode]?.prep(cmd.sqe, prepEnv(k));
        if (typeof prep === 'number') { expected[i] = `${opcodeName(pr.opcode)} ${pr.fields}: prep fails (${prep}) before any filter runs`; return; }
        const words = populateCtx(new Uint32Array(k.ctx.size / 4), k, cmd.sqe, cmd.sqe.flags, prep?.open);
        const allowed = ruleAllows(p, pr.opcode, contextFields(k, pr.opcode, words)) && (!onto || onto.filtersAllow(k.name, pr.opcode, words));
        held = allowed ? free : -ERRNO.EACCES;
      }
      if (free === -ERRNO.EACCES && held === free) { expected[i] = `${opcodeName(pr.opcode)} ${pr.fields}: -EACCES even without the policy`; return; }
      const f = res(pr.opcode, free), h = res(pr.opcode, held);
      if (e.free && (e.free !== f || e.held !== h)) { expected[i] = `${opcodeName(pr.opcode)} ${pr.fields}: the outcome differs between target kernels`; return; }
      expected[i] = { free: f, held: h };
    });
  }
  const kept = probes.map((pr, i) => [pr, expected[i]] as const).filter(([, e]) => typeof e !== 'string') as [Probe, { free: string; held: string }][];
  const dropped = expected.filter((e): e is string => typeof e === 'string');
  const body = kept.flatMap(([pr, e], i) => probeLines(pr, FIRST_UD + i, e, onto));
  const notes = dropped.map((d) => `# not probed: ${d}`);
  const text = [...head, ...notes, ...body, 'end', ''].join('\n');
  // The trace must pass on the simulator for every target: it is what CI replays.
  const final = parseTraceFile(`${name}.trace`, text);
  if (!final.ok) return { ok: false, error: rfError('internal', `the emitted trace does not parse: ${final.error[0].message}`) };
  if (o.check !== false) for (const k of c.profiles) {
    const run = replayTrace(final.value.traces[0], k, opts);
    if (!replayPassed(run)) return { ok: false, error: rfError('internal', `the emitted trace fails on the simulator for ${k.name}: ${run.failure ? `line ${run.failure.command.loc.line} (${run.failure.command.text.trim()}): expected ${run.failure.expected}, got ${run.failure.actual}` : run.error?.message ?? run.violation?.message}`) };
  }
  return { ok: true, value: { text, probes: kept.length, dropped } };
}
