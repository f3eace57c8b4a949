// `ringfence compile POLICY`: from a policy (docs/policy.md) to the registrations
// that mean it, proven on every compile, emitted as assembly, quads, C, JSON, a
// probing trace or a reviewer's summary.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, intOption, JSON_OPTION, MAX_STEP, stringOption } from '../options.ts';
import type { Io } from '../io.ts';
import { formatError, rfError, type RfError } from '../../../model/errors.ts';
import { opcodeName } from '../../../model/abi/opcodes.ts';
import { disassemble } from '../../../model/bpf/disassemble.ts';
import { formatQuads } from '../../../model/bpf/codec.ts';
import { getProfile, PROFILE_NAMES, type ProfileName } from '../../../model/profile/profiles.ts';
import type { Policy } from '../../../model/policy/ast.ts';
import { parsePolicy, parseKernels } from '../../../model/policy/parse.ts';
import { fromJson, jsonText } from '../../../model/policy/json.ts';
import { compilePolicy, type Compiled } from '../../../model/policy/compile.ts';
import { compileOnto, proveOnto, type OntoCompiled } from '../../../model/policy/onto.ts';
import { prove, type Counterexample } from '../../../model/policy/prove.ts';
import { emitC } from '../../policy/c.ts';
import { emitTrace, type OntoTrace } from '../../policy/trace.ts';
import { loadOnto, ontoSummary, ontoText, type Onto } from '../../policy/onto.ts';
import { counterexampleProbe } from '../../policy/counterexample.ts';
import { summarize, summaryText } from '../../policy/summary.ts';

export const EMIT_KINDS = ['summary', 'asm', 'quads', 'c', 'json', 'trace'] as const;
type Kind = (typeof EMIT_KINDS)[number];
const EXT: Record<Kind, string> = { summary: 'summary.txt', asm: 'asm', quads: 'quads', c: 'c', json: 'json', trace: 'trace' };

function load(file: string, src: string): { ok: true; value: Policy } | { ok: false; error: RfError[] } {
  if (file.endsWith('.json')) {
    let data: unknown;
    try { data = JSON.parse(src); } catch (e) { return { ok: false, error: [rfError('syntax', `${file}: not JSON: ${(e as Error).message}`, undefined, 'the JSON form of a policy (docs/policy.schema.json)')] }; }
    return fromJson(file, data);
  }
  return parsePolicy(file, src);
}

function asmText(c: Compiled): string {
  return c.filters.map((f) => `# ${f.name}: ${opcodeName(f.opcode)}, ${f.insns.length} instructions${f.flags & 1 ? ', DENY_REST' : ''}, pdu_size ${f.pdu}\n${disassemble(f.insns)}`).join('\n\n') + '\n';
}
function quadsText(c: Compiled): string {
  return c.filters.map((f) => `# ${f.name}: ${opcodeName(f.opcode)}${f.flags & 1 ? ', DENY_REST' : ''}\n${formatQuads(f.insns)}`).join('\n\n') + '\n';
}

export const command = defineCommand({
  name: 'compile',
  summary: 'compile a policy into proven filters, C, JSON, a probing trace or a summary',
  args: 'POLICY',
  positionals: { min: 1, max: 1, name: 'POLICY file' },
  synopsis: [
    'POLICY [--emit KIND[,KIND...]] [--out DIR] [--kernel P[,P...]] [--json]',
    'POLICY --onto TRACE [--task T | --ring R] [--trace NAME] [--at STEP] [--emit ...] [--out DIR]',
  ],
  about: `Compiles a policy (text, or its JSON form: a file ending in .json) into the
registrations that mean it, and proves on every target kernel that they allow
exactly what the policy allows, for every opcode and every context.

With --onto TRACE the policy is added to a holder that already carries
restrictions: TRACE is replayed on each target kernel, the holder (--task T, for
the rings T creates from then on, or --ring R) is read at its end, and only what
the holder can still do and the policy forbids is emitted. The report says, per
opcode, which parts are needed, already stricter, or unreachable (the holder may
never do them again: a warning); the proof shows that the holder ends with
exactly the policy AND what it had.
The instruction count per opcode goes to standard error (with --json: into the result).`,
  options: {
    emit: stringOption(`${EMIT_KINDS.join('|')} (default summary);
one kind goes to standard output, several need --out`, { arg: 'KIND[,KIND...]' }),
    out: stringOption('write each kind to DIR/NAME.EXT (summary.txt, asm, quads, c, json, trace)', { arg: 'DIR', complete: 'dir' }),
    kernel: stringOption(`compile for these target kernels instead of the policy's kernels=
(${PROFILE_NAMES.join(', ')}; a list or LOW..HIGH)`, { arg: 'P[,P...]' }),
    onto: stringOption(`add to the holder a trace leaves (a .trace file: its first
trace, or --trace NAME)`, { arg: 'TRACE', complete: 'file' }),
    task: stringOption('with --onto and a task policy: the task (default init)', { arg: 'T' }),
    ring: stringOption(`with --onto and a ring policy: the ring R (of init, or of the
one task holding a ring of that name), or TASK:R`, { arg: 'R' }),
    trace: stringOption('with --onto: which trace of the file (default: the first)', { arg: 'NAME' }),
    at: intOption(`with --onto: the holder after command STEP (the record's "i",
from 0); default: the end`, { arg: 'STEP', min: 0, max: MAX_STEP }),
    json: JSON_OPTION,
  },
  exit: `0 compiled and proven, 2 a located error in the policy or the trace, or bad usage,
      3 the proof found a difference (a bug in ringfence): a counterexample is printed`,
  run({ opts: v, args }, io, cx) {
    const kinds = String(v.emit ?? 'summary').split(',').filter(Boolean);
    for (const k of kinds) if (!(EMIT_KINDS as readonly string[]).includes(k)) return cx.usage(`--emit: unknown kind '${k}' (known: ${EMIT_KINDS.join(', ')})`);
    if (kinds.length > 1 && v.out === undefined) return cx.usage('several --emit kinds need --out DIR');
    if (v.onto === undefined) for (const o of ['task', 'ring', 'trace', 'at'] as const) if (v[o] !== undefined) return cx.usage(`--${o} needs --onto TRACE`);
    const file = args[0];
    const src = io.readFile(file);
    if (!src.ok) return reportError(io, src.error);
    const source = file.endsWith('.json') ? undefined : src.value;
    const parsed = load(file, src.value);
    if (!parsed.ok) return reportAll(io, parsed.error, source);
    const policy = parsed.value;
    if (v.kernel !== undefined) {
      const ks = parseKernels(String(v.kernel));
      if (typeof ks === 'string' || !ks.length) return cx.usage(`--kernel: '${typeof ks === 'string' ? ks : v.kernel}' is not a kernel profile or range (known: ${PROFILE_NAMES.join(', ')})`);
      policy.kernels = ks as ProfileName[];
    }
    let onto: Onto | undefined;
    if (v.onto !== undefined) {
      const o = loadOnto(io, policy, source, { trace: v.onto, task: v.task, ring: v.ring, name: v.trace, at: v.at });
      if (typeof o === 'number') return o;
      onto = o;
    }
    const compiled = onto ? compileOnto(policy, onto.holders) : compilePolicy(policy);
    if (!compiled.ok) {
      reportAll(io, compiled.error, source);
      return compiled.error.some((e) => e.kind === 'internal') ? EXIT.INTERNAL : EXIT.USAGE;
    }
    const c = compiled.value;
    const proof = onto ? proveOnto(c as OntoCompiled) : prove(c);
    const traceOnto = onto?.trace(c as OntoCompiled);
    if (!proof.ok) {
      io.err(`internal error: the emitted registrations do not mean policy ${policy.name}${onto ? ' AND what the holder had' : ''} (a bug in ringfence):`);
      for (const f of proof.failures.slice(0, 10)) io.err(`  ${f.message}`);
      const first = proof.failures.find((f) => f.part === 'filters' && f.words);
      if (first) {
        const t = counterexampleTrace(c, first, traceOnto);
        if (t) io.err(`a trace that shows it (replay it: ringfence replay FILE):\n${t}`);
      }
      if (v.json) io.out(JSON.stringify({ policy: policy.name, ok: false, failures: proof.failures }));
      return EXIT.INTERNAL;
    }
    if (onto) {
      // The registrations must go in: a holder whose own register list or state refuses them is an input error.
      const t = emitTrace(c, { probes: [], onto: traceOnto, name: `onto-${policy.name}` });
      if (!t.ok) return reportError(io, rfError('invalid', `${onto.description} cannot take the registrations: ${t.error.message.replace(/^the emitted trace fails on the simulator for /, 'on ').replace(/line \d+ \((.*)\): expected 0, got /, '`$1` returns ')}`, onto.loc, 'a holder whose register checks admit IORING_REGISTER_BPF_FILTER (and RESTRICTIONS)'));
    }
    const counts = c.filters.map((f) => `${opcodeName(f.opcode)} ${f.insns.length}`).join(', ');
    const ontoReport = onto ? ontoSummary(c as OntoCompiled, onto.description) : undefined;
    // With --onto the verdicts are the holder's in the end; its old filters decide where it had any.
    const sumOpts = onto ? { existingDecides: (op: number) => onto!.holders.some((h) => (h.slots[op] ?? []).some((x) => x !== 'DENY')) } : {};
    const produce = (k: Kind): { ok: true; text: string } | { ok: false; code: number } => {
      switch (k) {
        case 'summary': return { ok: true, text: (ontoReport ? ontoText(ontoReport) + '\n' : '') + summaryText(summarize(c, proof, sumOpts)) };
        case 'asm': return { ok: true, text: asmText(c) };
        case 'quads': return { ok: true, text: quadsText(c) };
        case 'c': return { ok: true, text: emitC(c, onto ? { onto: onto.description } : {}) };
        case 'json': return { ok: true, text: jsonText(policy) };
        case 'trace': {
          const t = emitTrace(c, traceOnto ? { onto: traceOnto } : {});
          if (!t.ok) { io.err(formatError(t.error)); return { ok: false, code: EXIT.INTERNAL }; }
          if (t.value.dropped.length) io.err(`trace: ${t.value.probes} probes; not probed: ${t.value.dropped.length} (listed in the trace's comments)`);
          return { ok: true, text: t.value.text };
        }
      }
    };
    const outputs: Record<string, string> = {};
    for (const k of kinds as Kind[]) {
      const r = produce(k);
      if (!r.ok) return r.code;
      outputs[k] = r.text;
    }
    if (v.out !== undefined) {
      const dir = String(v.out);
      try {
        mkdirSync(dir, { recursive: true });
        for (const [k, text] of Object.entries(outputs)) writeFileSync(join(dir, `${policy.name}.${EXT[k as Kind]}`), text);
      } catch (e) {
        return reportError(io, rfError('io', `cannot write into ${dir}: ${(e as Error).message}`));
      }
    }
    if (v.json) {
      io.out(JSON.stringify({
        policy: policy.name, ok: true, kernels: policy.kernels,
        registrations: c.filters.map((f) => ({ opcode: opcodeName(f.opcode), name: f.name, flags: f.flags, pdu_size: f.pdu, instructions: f.insns.length, filter: f.insns.map((i) => [i.code, i.jt, i.jf, i.k]) })),
        legacy: c.legacy,
        summary: summarize(c, proof, sumOpts),
        onto: ontoReport,
        written: v.out !== undefined ? Object.keys(outputs).map((k) => join(String(v.out), `${policy.name}.${EXT[k as Kind]}`)) : undefined,
      }));
      return EXIT.OK;
    }
    if (v.out === undefined) io.out(outputs[kinds[0]]);
    if (ontoReport) for (const w of ontoReport.warnings) io.err(`warning: ${w}`);
    io.err(`${policy.name}: proven on ${policy.kernels.join(', ')}${onto ? ` onto ${onto.description}` : ''}; instructions per opcode: ${counts || 'none (no filters)'}`);
    return EXIT.OK;
  },
});

function reportAll(io: Io, errors: RfError[], source: string | undefined): number {
  let code: number = EXIT.USAGE;
  for (const e of errors) code = reportError(io, e, source);
  return code;
}

/** A trace that installs the emitted registrations and submits the counterexample. */
export function counterexampleTrace(c: Compiled, f: Counterexample, onto?: OntoTrace): string | undefined {
  const k = getProfile(f.kernel)!;
  const probe = counterexampleProbe(f);
  if (!probe) return undefined;
  const one = { ...c, profiles: [k], policy: { ...c.policy, kernels: [k.name] } };
  const t = emitTrace(one, { probes: [probe], check: false, name: `counterexample-${c.policy.name}`, onto });
  return t.ok ? t.value.text : undefined;
}
