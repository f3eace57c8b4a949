// `compile --onto TRACE`: the command-line side. Reads the trace, checks that the
// options name the policy's kind of holder and that the trace runs on every target
// kernel, reads the holder per kernel (holder.ts), and reports the classification
// of model/policy/onto.ts for people and for --json.

import { rfError, type RfError, type SourceLoc } from '../../model/errors.ts';
import { opcodeName } from '../../model/abi/opcodes.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import type { Policy } from '../../model/policy/ast.ts';
import { chainAllows } from '../../model/policy/prove.ts';
import { existingFlagsAllowed, existingOpAllowed, type Example, type OntoCompiled } from '../../model/policy/onto.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { EXIT, reportError } from '../cli/command.ts';
import type { Io } from '../cli/io.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { formatTrace } from '../trace/print.ts';
import type { Trace } from '../trace/ast.ts';
import { holderFromTrace, type HolderState } from './holder.ts';
import type { OntoTrace } from './trace.ts';

export interface Onto {
  /** The holder on each target kernel, in the policy's kernels order. */
  holders: HolderState[];
  description: string;
  /** The trace's header, where errors about the holder point. */
  loc: SourceLoc;
  /** How the emitted trace composes with the source trace. */
  trace(c: OntoCompiled): OntoTrace;
}

export interface OntoOptions { trace: string; task?: string; ring?: string; name?: string; at?: number }

/** Every name a trace uses for rings, tasks and programs (the emitted trace must take others). */
function namesOf(t: Trace): Set<string> {
  const out = new Set<string>(['init', ...t.programs.keys()]);
  for (const c of t.commands) {
    out.add(c.task);
    if ('ring' in c) out.add(c.ring);
    if ((c.c === 'bpf' || c.c === 'restrict') && c.target.kind === 'ring') out.add(c.target.ring);
    if (c.c === 'fork') out.add(c.child);
  }
  return out;
}

/** The trace and the holder it leaves on every target kernel; an exit code after reporting an error. */
export function loadOnto(io: Io, p: Policy, policySource: string | undefined, o: OntoOptions): Onto | number {
  const at = p.locs?.holder ?? p.locs?.header;
  const fail = (e: RfError, source = policySource) => reportError(io, e, source);
  if (o.task !== undefined && o.ring !== undefined) return fail(rfError('usage', `--task and --ring both given: policy ${p.name} has one holder (holder=${p.holder})`, at, p.holder === 'task' ? '--task T' : '--ring R'));
  if (p.holder === 'ring' && o.task !== undefined) return fail(rfError('usage', `--task ${o.task} names a task, but policy ${p.name} is for holder=ring`, at, '--ring R (or TASK:R) for a ring policy'));
  if (p.holder === 'task' && o.ring !== undefined) return fail(rfError('usage', `--ring ${o.ring} names a ring, but policy ${p.name} is for holder=task`, at, '--task T for a task policy'));
  if (p.holder === 'ring' && o.ring === undefined) return fail(rfError('usage', `policy ${p.name} is for holder=ring: --onto needs --ring R (or TASK:R)`, at, '--ring R'));
  const src = io.readFile(o.trace);
  if (!src.ok) return reportError(io, src.error);
  const parsed = parseTraceFile(o.trace, src.value);
  if (!parsed.ok) {
    for (const e of parsed.error) reportError(io, e, src.value);
    return EXIT.USAGE;
  }
  const traces = parsed.value.traces;
  const trace = o.name === undefined ? traces[0] : traces.find((t) => t.name === o.name);
  if (!trace) {
    return reportError(io, rfError(o.name === undefined ? 'invalid' : 'name', o.name === undefined ? `${o.trace} holds no trace` : `no trace named ${o.name} in ${o.trace}`, undefined, o.name === undefined ? 'a file with a `trace NAME` block' : `one of ${traces.map((t) => t.name).join(', ')}`));
  }
  // Every target kernel must be one the trace is meant for: its holder is read there.
  if (trace.kernels) {
    const off = p.kernels.filter((k) => !trace.kernels!.includes(k));
    if (off.length) {
      return fail(rfError('invalid', `trace ${trace.name} (${trace.loc.file}:${trace.loc.line}) runs on ${trace.kernels.join(', ')} only, and policy ${p.name} also targets ${off.join(', ')}`, p.locs?.kernels ?? p.locs?.header, `target kernels within the trace's kernels= (--kernel ${p.kernels.filter((k) => trace.kernels!.includes(k)).join(',') || trace.kernels.join(',')})`));
    }
  }
  const holders: HolderState[] = [];
  for (const k of p.kernels) {
    const h = holderFromTrace(trace, getProfile(k)!, { task: o.task, ring: o.ring }, o.at);
    if (!h.ok) return reportError(io, h.error, h.error.loc?.file === o.trace ? src.value : undefined);
    holders.push(h.value);
  }
  const last = o.at ?? trace.commands.length - 1;
  const text = formatTrace({ ...trace, commands: trace.commands.slice(0, last + 1) }).trimEnd().split('\n');
  const setup = text.slice(1, -1);
  const byKernel = new Map<string, HolderState>(holders.map((h) => [h.profile.name, h]));
  const h0 = holders[0];
  return {
    holders,
    description: h0.description,
    loc: trace.loc,
    trace: () => ({
      setup,
      task: h0.task,
      ring: h0.ring,
      ringDisabled: h0.ringDisabled,
      taken: namesOf(trace),
      legacyAllows: (k, op) => { const h = byKernel.get(k)!; return existingOpAllowed(h, op) && existingFlagsAllowed(h, 0); },
      filtersAllow: (k, op, words) => { const h = byKernel.get(k)!; return chainAllows(h.profile, [...(h.slots[op] ?? [])] as (Insn[] | 'DENY')[], words); },
    }),
  };
}

export interface OntoReport {
  holder: string;
  /** Opcodes the holder can still use in ways the intent forbids: what is emitted. */
  needed: { opcode: string; example: Example }[];
  /** Opcodes where the holder already forbids everything the intent forbids. */
  stricter: string[];
  /** The intent allows these, the holder may never do them again. */
  unreachable: { opcode: string; example: Example }[];
  /** Opcodes whose existing filters the analysis cannot state on fields (taken as needed). */
  opaque: string[];
  legacy: { part: string; status: 'needed' | 'stricter' | 'not stated'; needed?: string; unreachable?: string }[];
  warnings: string[];
}

export function ontoSummary(c: OntoCompiled, holder: string): OntoReport {
  const name = (o: { opcode: number }) => opcodeName(o.opcode);
  const unreachable = c.opcodes.filter((o) => o.unreachable).map((o) => ({ opcode: name(o), example: o.unreachable! }));
  const legacy = c.legacyParts.map((l) => ({ part: l.part, status: l.needed ? 'needed' as const : l.stated ? 'stricter' as const : 'not stated' as const, needed: l.needed ?? undefined, unreachable: l.unreachable ?? undefined }));
  const warnings = [
    ...(unreachable.length ? [`the intent allows what the holder may never do again (${unreachable.map((u) => u.opcode).join(' ')}): the result is stricter than the intent`] : []),
    ...legacy.filter((l) => l.unreachable).map((l) => `the intent allows ${l.unreachable} (${l.status === 'not stated' ? `it states no \`${l.part}\`` : `\`${l.part}\``}), which the holder may never do again`),
  ];
  return {
    holder,
    needed: c.opcodes.filter((o) => o.needed).map((o) => ({ opcode: name(o), example: o.needed! })),
    stricter: c.opcodes.filter((o) => o.stricter).map(name),
    unreachable,
    opaque: c.opcodes.filter((o) => o.opaque).map(name),
    legacy,
    warnings,
  };
}

const example = (e: Example) => `${Object.entries(e.fields).map(([n, v]) => `${n}=${v}`).join(' ') || 'any request'} on ${e.kernel}`;
const list = (xs: string[]) => (xs.length > 16 ? `${xs.slice(0, 16).join(' ')} ... (${xs.length})` : xs.join(' '));

/** Entries whose example is any request, as one list; the others one a line with their example. */
function grouped(xs: { opcode: string; example: Example }[]): string[] {
  const any = xs.filter((x) => Object.keys(x.example.fields).length === 0).map((x) => x.opcode);
  const out = xs.filter((x) => Object.keys(x.example.fields).length > 0).map((x) => `    ${x.opcode}: e.g. ${example(x.example)}`);
  if (any.length) out.push(`    any request: ${list(any)}`);
  return out;
}

export function ontoText(r: OntoReport): string {
  const out = [`onto ${r.holder}:`];
  out.push(`  needed (${r.needed.length}): the holder can still do what the intent forbids; filters are emitted for these`);
  out.push(...grouped(r.needed));
  out.push(`  already stricter (${r.stricter.length}): the holder forbids all the intent forbids; nothing emitted${r.stricter.length ? `: ${list(r.stricter)}` : ''}`);
  out.push(`  unreachable (${r.unreachable.length}): the intent allows it, the holder may never do it again${r.unreachable.length ? ' (a warning)' : ''}`);
  out.push(...grouped(r.unreachable));
  const status = (l: OntoReport['legacy'][number]) => (l.status === 'needed' ? `needed (the holder can still use ${l.needed})` : l.status === 'stricter' ? 'already stricter' : 'not in the policy');
  for (const l of r.legacy) out.push(`  legacy \`${l.part}\`: ${status(l)}${l.unreachable ? `; unreachable: ${l.unreachable}` : ''}`);
  if (r.opaque.length) out.push(`  not stated on fields (taken as needed; proven whatever they decide): ${list(r.opaque)}`);
  return out.join('\n') + '\n';
}
