// `ringfence check FILE`: the kernel's verdict on registering this program as an
// io_uring filter: ret 0 or -EINVAL, the rule that failed and the instruction.
// Also home of the helpers asm, disasm and run share (reading a program, --kernel, --op).

import { formatError, rfError, type Result, type RfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type KernelProfile } from '../../../model/profile/profiles.ts';
import { IORING_OP_LAST, opcodeName } from '../../../model/abi/opcodes.ts';
import { errnoName } from '../../../model/abi/errno.ts';
import { validate, disassemble, formatMnemonic, formatQuad, compileSource, type Verdict } from '../../../model/bpf/index.ts';
import { INPUT_FORMATS, loadProgram, type InputFormat, type LoadedProgram } from '../../../model/bpf/load.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, kernelOption, opcodeOption, parseOpcode, stringOption } from '../options.ts';
import type { Io } from '../io.ts';

export function resolveKernel(name: string | undefined): Result<KernelProfile> {
  const p = getProfile(name ?? DEFAULT_PROFILE);
  if (!p) return { ok: false, error: rfError('usage', `unknown kernel profile '${name}'`, undefined, `one of ${PROFILE_NAMES.join(', ')}`) };
  return { ok: true, value: p };
}

/** An opcode by name (SOCKET, IORING_OP_SOCKET) or number (the trace language's number rules); any u32. */
export function resolveOp(text: string): Result<number> {
  const r = parseOpcode(text);
  return r.ok ? r : { ok: false, error: rfError('usage', r.error) };
}

/** --format F of the commands that read a program. */
export const FORMAT_OPTION = stringOption('input form (auto: guessed from the content)', { arg: 'F', choices: INPUT_FORMATS, default: 'auto' });

export type ReadResult = { ok: true; value: LoadedProgram } | { ok: false; error: RfError; source?: string };

/** Read FILE ('-' for stdin, read once) and decode it as a program. */
export function readProgram(io: Io, file: string, format: InputFormat, profile: KernelProfile): ReadResult {
  const bytes = io.readBinary(file);
  if (!bytes.ok) return bytes;
  const r = loadProgram(bytes.value, file, format, profile.ctx);
  if (r.ok) return r;
  return { ok: false, error: r.error, source: r.error.loc ? new TextDecoder().decode(bytes.value) : undefined };
}

/** Report a program that could not be read or decoded, with its source line when it is text. */
export function reportLoad(io: Io, r: { error: RfError; source?: string }): number {
  return reportError(io, r.error, r.source);
}

/** One instruction as text for messages: bpf_asm where it has a spelling (jump targets as L<index>), else its quad. */
export function insnText(p: LoadedProgram, index: number): string {
  const i = p.insns[index];
  return formatMnemonic(i, index, (t) => `L${t}`) ?? formatQuad(i);
}

export interface CheckReport {
  ret: number;
  errno?: string;
  rule?: string;
  index?: number | null;
  line?: number;
  message?: string;
  kernel: string;
  op?: string;
  insns: number;
}

/**
 * The registration verdict with --op: the import rejects an opcode >= IORING_OP_LAST
 * before the program is looked at (the only part of the registration struct this
 * command models; cmd_type, flags and pdu_size belong to the kernel model).
 */
export function verdictFor(p: LoadedProgram, profile: KernelProfile, op: number | undefined): { verdict: Verdict; report: CheckReport } {
  const base = { kernel: profile.name, insns: p.insns.length, ...(op !== undefined ? { op: opcodeName(op) } : {}) };
  if (!profile.bpfFilters) {
    const message = `kernel ${profile.name} has no IORING_REGISTER_BPF_FILTER: the register call itself is -EINVAL`;
    return { verdict: { ok: false, errno: 22, rule: 'no-bpf-filters', index: null, message }, report: { ret: -22, errno: 'EINVAL', rule: 'no-bpf-filters', index: null, message, ...base } };
  }
  if (op !== undefined && op >= IORING_OP_LAST) {
    const message = `opcode ${op} is not below IORING_OP_LAST (${IORING_OP_LAST})`;
    return { verdict: { ok: false, errno: 22, rule: 'op-range', index: null, message }, report: { ret: -22, errno: 'EINVAL', rule: 'op-range', index: null, message, ...base } };
  }
  const verdict = validate(p.insns, profile);
  if (verdict.ok) return { verdict, report: { ret: 0, ...base } };
  const line = verdict.index !== null ? p.lines?.[verdict.index] : undefined;
  return {
    verdict,
    report: { ret: -verdict.errno, errno: errnoName(verdict.errno), rule: verdict.rule, index: verdict.index, ...(line ? { line } : {}), message: verdict.message, ...base },
  };
}

/** Human text for a rejection, pointing at the source line when the input was assembler. */
export function describeRejection(io: Io, file: string, p: LoadedProgram, r: CheckReport): void {
  io.out(`ret -${r.errno} (${-r.ret}): rejected by rule '${r.rule}'${r.index !== null && r.index !== undefined ? ` at instruction ${r.index}` : ''}`);
  if (r.line !== undefined && p.source !== undefined) {
    const text = p.source.split('\n')[r.line - 1] ?? '';
    const col = text.length - text.trimStart().length + 1;
    io.out(formatError(rfError('invalid', r.message ?? '', { file, line: r.line, col, len: Math.max(1, text.trim().length) }), p.source));
  } else {
    io.out(`  ${r.message}`);
    if (r.index !== null && r.index !== undefined) io.out(`  instruction ${r.index}: ${insnText(p, r.index)}`);
  }
}

export const command = defineCommand({
  name: 'check',
  summary: "the kernel's verdict on registering a cBPF filter program (ret, rule, instruction)",
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'program file' },
  about: `Says whether the kernel would accept FILE as an io_uring cBPF filter (the checks of
IORING_REGISTER_BPF_FILTER on the program: length, bpf_check_classic,
check_load_and_stores, io_uring's allow list): ret 0, or -EINVAL with the rule that
failed and the instruction (and source line).`,
  options: {
    op: opcodeOption('the filter\'s opcode (SOCKET, OPENAT, 45, ...): an opcode not below\nIORING_OP_LAST is -EINVAL; also names the payload fields in --show'),
    kernel: kernelOption(`kernel profile (default ${DEFAULT_PROFILE}); sets the context size`),
    format: FORMAT_OPTION,
    show: flagOption('also print the program as io_uring runs it (after its rewrites)'),
    js: flagOption('also print the JavaScript the compiled evaluator makes of it'),
    json: flagOption('print one JSON object: {"ret":0|-22, "rule", "index", "line", "message", ...}'),
  },
  notes: "FILE '-' reads standard input.",
  exit: '0 accepted, 1 rejected, 2 bad usage or unreadable input',
  run({ opts, args }, io) {
    const file = args[0];
    const profile = resolveKernel(opts.kernel);
    if (!profile.ok) return reportError(io, profile.error);
    const op = opts.op;
    const p = readProgram(io, file, opts.format as InputFormat, profile.value);
    if (!p.ok) return reportLoad(io, p);
    const { verdict, report } = verdictFor(p.value, profile.value, op);
    if (opts.json) {
      io.out(JSON.stringify(report));
    } else if (verdict.ok) {
      io.out(`ret 0: kernel ${profile.value.name} accepts this ${p.value.insns.length}-instruction filter${op !== undefined ? ` for ${opcodeName(op)}` : ''}`);
      if (opts.show) {
        const payload = op !== undefined ? profile.value.payloads[op] : undefined;
        io.out('as io_uring runs it:');
        io.out(disassemble(verdict.program.insns, { annotate: true, layout: profile.value.ctx, payload }).trimEnd());
      }
      if (opts.js) {
        io.out('compiled (K[n] is instruction n\'s constant; c is the context as 32-bit words):');
        io.out(compileSource(verdict.program.insns).trimEnd());
      }
    } else {
      describeRejection(io, file, p.value, report);
    }
    return verdict.ok ? EXIT.OK : EXIT.FAILED;
  },
});
