// `ringfence compile POLICY`: from a policy (docs/policy.md) to the registrations
// that mean it, proven on every compile, emitted as assembly, quads, C, JSON, a
// probing trace or a reviewer's summary.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { formatError, rfError, type RfError } from '../../../model/errors.ts';
import { opcodeName } from '../../../model/abi/opcodes.ts';
import { disassemble } from '../../../model/bpf/disassemble.ts';
import { formatQuads } from '../../../model/bpf/codec.ts';
import { getProfile, PROFILE_NAMES, type ProfileName } from '../../../model/profile/profiles.ts';
import type { Policy } from '../../../model/policy/ast.ts';
import { parsePolicy, parseKernels } from '../../../model/policy/parse.ts';
import { fromJson, jsonText } from '../../../model/policy/json.ts';
import { compilePolicy, type Compiled } from '../../../model/policy/compile.ts';
import { prove, type Counterexample } from '../../../model/policy/prove.ts';
import { emitC } from '../../policy/c.ts';
import { emitTrace } from '../../policy/trace.ts';
import { counterexampleProbe } from '../../policy/counterexample.ts';
import { summarize, summaryText } from '../../policy/summary.ts';

export const EMIT_KINDS = ['summary', 'asm', 'quads', 'c', 'json', 'trace'] as const;
type Kind = (typeof EMIT_KINDS)[number];
const EXT: Record<Kind, string> = { summary: 'summary.txt', asm: 'asm', quads: 'quads', c: 'c', json: 'json', trace: 'trace' };

const USAGE = `usage: ringfence compile POLICY [--emit KIND[,KIND...]] [--out DIR] [--kernel P[,P...]] [--json]

Compiles a policy (text, or its JSON form: a file ending in .json) into the
registrations that mean it, and proves on every target kernel that they allow
exactly what the policy allows, for every opcode and every context.

  --emit KIND   ${EMIT_KINDS.join('|')} (default summary). One kind goes to standard
                output; several need --out.
  --out DIR     write each kind to DIR/NAME.EXT (summary.txt, asm, quads, c, json, trace)
  --kernel P    compile for these target kernels instead of the policy's kernels=
                (${PROFILE_NAMES.join(', ')}; a list or LOW..HIGH)
  --json        machine-readable result: registrations, instruction counts, proof

The instruction count per opcode goes to standard error (with --json: into the result).
exit: 0 compiled and proven, 2 a located error in the policy or bad usage,
      3 the proof found a difference (a bug in ringfence): a counterexample is printed`;

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

export const command: Command = {
  name: 'compile',
  summary: 'compile a policy into proven filters, C, JSON, a probing trace or a summary',
  usage: USAGE,
  run(argv, io) {
    const a = parseCommandArgs(argv, { emit: { type: 'string' }, out: { type: 'string' }, kernel: { type: 'string' }, json: { type: 'boolean' } });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const v = a.value.values;
    const usage = (m: string) => reportError(io, rfError('usage', m), undefined, USAGE);
    if (a.value.positionals.length !== 1) return usage(a.value.positionals.length ? 'compile takes one POLICY file' : 'no POLICY file given');
    const kinds = String(v.emit ?? 'summary').split(',').filter(Boolean);
    for (const k of kinds) if (!(EMIT_KINDS as readonly string[]).includes(k)) return usage(`--emit: unknown kind '${k}' (known: ${EMIT_KINDS.join(', ')})`);
    if (kinds.length > 1 && v.out === undefined) return usage('several --emit kinds need --out DIR');
    const file = a.value.positionals[0];
    const src = io.readFile(file);
    if (!src.ok) return reportError(io, src.error);
    const parsed = load(file, src.value);
    if (!parsed.ok) { for (const e of parsed.error) io.err(formatError(e, file.endsWith('.json') ? undefined : src.value)); return EXIT.USAGE; }
    const policy = parsed.value;
    if (v.kernel !== undefined) {
      const ks = parseKernels(String(v.kernel));
      if (typeof ks === 'string' || !ks.length) return usage(`--kernel: '${typeof ks === 'string' ? ks : v.kernel}' is not a kernel profile or range (known: ${PROFILE_NAMES.join(', ')})`);
      policy.kernels = ks as ProfileName[];
    }
    const compiled = compilePolicy(policy);
    if (!compiled.ok) {
      for (const e of compiled.error) io.err(formatError(e, file.endsWith('.json') ? undefined : src.value));
      return compiled.error.some((e) => e.kind === 'internal') ? EXIT.INTERNAL : EXIT.USAGE;
    }
    const c = compiled.value;
    const proof = prove(c);
    if (!proof.ok) {
      io.err(`internal error: the emitted registrations do not mean policy ${policy.name} (a bug in ringfence):`);
      for (const f of proof.failures.slice(0, 10)) io.err(`  ${f.message}`);
      const first = proof.failures.find((f) => f.part === 'filters' && f.words);
      if (first) {
        const t = counterexampleTrace(c, first);
        if (t) io.err(`a trace that shows it (replay it: ringfence replay FILE):\n${t}`);
      }
      if (v.json) io.out(JSON.stringify({ policy: policy.name, ok: false, failures: proof.failures }));
      return EXIT.INTERNAL;
    }
    const counts = c.filters.map((f) => `${opcodeName(f.opcode)} ${f.insns.length}`).join(', ');
    const produce = (k: Kind): { ok: true; text: string } | { ok: false; code: number } => {
      switch (k) {
        case 'summary': return { ok: true, text: summaryText(summarize(c, proof)) };
        case 'asm': return { ok: true, text: asmText(c) };
        case 'quads': return { ok: true, text: quadsText(c) };
        case 'c': return { ok: true, text: emitC(c) };
        case 'json': return { ok: true, text: jsonText(policy) };
        case 'trace': {
          const t = emitTrace(c);
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
        summary: summarize(c, proof),
        written: v.out !== undefined ? Object.keys(outputs).map((k) => join(String(v.out), `${policy.name}.${EXT[k as Kind]}`)) : undefined,
      }));
      return EXIT.OK;
    }
    if (v.out === undefined) io.out(outputs[kinds[0]]);
    io.err(`${policy.name}: proven on ${policy.kernels.join(', ')}; instructions per opcode: ${counts || 'none (no filters)'}`);
    return EXIT.OK;
  },
};

/** A trace that installs the emitted registrations and submits the counterexample. */
export function counterexampleTrace(c: Compiled, f: Counterexample): string | undefined {
  const k = getProfile(f.kernel)!;
  const probe = counterexampleProbe(f);
  if (!probe) return undefined;
  const one = { ...c, profiles: [k], policy: { ...c.policy, kernels: [k.name] } };
  const t = emitTrace(one, { probes: [probe], check: false, name: `counterexample-${c.policy.name}` });
  return t.ok ? t.value.text : undefined;
}
