// `ringfence run FILE --op OP`: run a filter on one request's context, built from
// --field values, and print the result (0 deny, anything else allow) and the path
// taken; --trace shows every step with A, X and the cell or context word it touched.

import { rfError, type Result } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, pduSizeFor, type KernelProfile } from '../../../model/profile/profiles.ts';
import { opcodeName } from '../../../model/abi/opcodes.ts';
import { instructionTexts, interpret, parseValue, type TraceStep } from '../../../model/bpf/index.ts';
import type { InputFormat } from '../../../model/bpf/load.ts';
import { findField, packContext } from '../../../model/bpf/context.ts';
import { fieldsInWord, type CtxLayout } from '../../../model/abi/ctx.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, kernelOption, opcodeOption, parseNumber, stringOption } from '../options.ts';
import { describeRejection, FORMAT_OPTION, insnText, readProgram, reportLoad, resolveKernel, verdictFor } from './check.ts';

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** Parse `NAME=VALUE` options into context field values. */
function fieldValues(specs: string[], profile: KernelProfile, op: number): Result<Array<[string, bigint]>> {
  const payload = profile.payloads[op];
  const out: Array<[string, bigint]> = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) return { ok: false, error: rfError('usage', `--field '${spec}' is not NAME=VALUE`, undefined, 'for example --field socket.family=AF_INET') };
    const name = spec.slice(0, eq).trim();
    const text = spec.slice(eq + 1).trim();
    const f = findField(profile.ctx, name);
    if (!f) {
      return { ok: false, error: rfError('usage', `unknown context field '${name}'`, undefined, `a field of the ${profile.ctx.name} context: ${profile.ctx.fields.map((x) => x.name).join(', ')}`) };
    }
    if (f.member && f.member !== payload) {
      return { ok: false, error: rfError('usage', `'${name}' is part of the ${f.member} payload, but ${opcodeName(op)} ${payload ? `carries the ${payload} payload` : 'carries no payload (the kernel zeroes those bytes)'}`) };
    }
    const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    if (quad && name === 'connect.v4_addr') {
      const parts = quad.slice(1).map(Number);
      if (parts.some((b) => b > 255)) return { ok: false, error: rfError('usage', `'${text}' is not an IPv4 address`) };
      out.push([name, parts.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n)]);
      continue;
    }
    for (const term of text.split('|').map((t) => t.trim().replace(/^[-+]/, ''))) {
      if (/^0[0-9]+$/.test(term)) {
        const n = parseNumber(term);
        if (!n.ok) return { ok: false, error: rfError('usage', `--field ${name}: ${n.error}`) };
      }
    }
    const v = parseValue(text);
    if (!v.ok) return { ok: false, error: rfError('usage', `--field ${name}: ${v.error.message}`, undefined, v.error.expected) };
    const bits = BigInt(f.size * 8);
    if (v.value >= 1n << bits || v.value < -(1n << (bits - 1n))) {
      return { ok: false, error: rfError('usage', `--field ${name}: ${v.value} does not fit its ${f.size} bytes`) };
    }
    out.push([name, v.value]);
  }
  return { ok: true, value: out };
}

function describeStep(s: TraceStep, layout: CtxLayout, payload: string | undefined): string {
  const bits: string[] = [];
  if (s.load) {
    const f = fieldsInWord(layout, s.load.offset).filter((x) => x.offset === s.load!.offset && x.size === 4 && (!x.member || x.member === payload));
    bits.push(`A <- ctx[${f.length === 1 ? f[0].name : s.load.offset}] = ${hex(s.load.value)}`);
  }
  if (s.mem) bits.push(s.mem.write ? `M[${s.mem.cell}] <- ${hex(s.mem.value)}` : `M[${s.mem.cell}] = ${hex(s.mem.value)}`);
  if (s.taken !== undefined) bits.push(`${s.taken ? 'true' : 'false'} -> ${s.next}`);
  else if (s.next !== undefined) bits.push(`-> ${s.next}`);
  if (s.ret !== undefined) bits.push(`return ${s.ret >>> 0} (${s.ret === 0 ? 'deny' : 'allow'})`);
  if (s.note) bits.push(s.note);
  return bits.join('; ');
}

export const command = defineCommand({
  name: 'run',
  summary: 'run a cBPF filter on one request context: the result, allow or deny, and the path',
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'program file' },
  about: `Loads FILE as check does, then runs it on the context of one OP request, as the
kernel fills it: opcode = OP, pdu_size = the kernel's payload size for OP, every
other byte 0 unless set with --field. Prints the return value (0 denies the
request, anything else allows it) and the instructions executed.`,
  options: {
    op: opcodeOption('the request\'s opcode (SOCKET, OPENAT, OPENAT2, CONNECT, 45, ...); required'),
    field: stringOption(`set a context field; NAME is one of the profile's fields
(user_data, sqe_flags, socket.family, socket.type, socket.protocol,
open.flags, open.mode, open.resolve, connect.family, connect.port,
connect.v4_addr, ...); VALUE is a number or symbolic names joined
with | (AF_INET, SOCK_STREAM|SOCK_NONBLOCK, O_CREAT|O_TRUNC,
IO_LINK|ASYNC); connect.v4_addr also takes a dotted quad.
Payload fields must belong to OP's payload.`, { arg: 'NAME=VALUE', multiple: true }),
    trace: flagOption('print every executed instruction (fields and constants by name) with A, X\nand what it touched'),
    json: flagOption('one JSON object: {"ret", "verdict", "path", "trace"?, ...}'),
    kernel: kernelOption(`kernel profile (default ${DEFAULT_PROFILE})`),
    format: FORMAT_OPTION,
  },
  exit: '0 ran (allow or deny), 1 the kernel would reject the program, 2 bad usage or input',
  run({ opts, args }, io, cx) {
    if (opts.op === undefined) return cx.usage('--op is required: the context depends on the opcode');
    const profile = resolveKernel(opts.kernel);
    if (!profile.ok) return reportError(io, profile.error);
    const op = opts.op;
    const file = args[0];
    const p = readProgram(io, file, opts.format as InputFormat, profile.value);
    if (!p.ok) return reportLoad(io, p);
    const { verdict, report } = verdictFor(p.value, profile.value, op);
    if (!verdict.ok) {
      if (opts.json) io.out(JSON.stringify(report));
      else {
        io.out('the kernel would not load this program, so it never runs:');
        describeRejection(io, file, p.value, report);
      }
      return EXIT.FAILED;
    }
    const fields = fieldValues(opts.field, profile.value, op);
    if (!fields.ok) return reportError(io, fields.error);
    // what io_uring_populate_bpf_ctx fills before the payload: opcode and pdu_size
    const base: Array<[string, bigint]> = [['opcode', BigInt(op)]];
    if (findField(profile.value.ctx, 'pdu_size')) base.push(['pdu_size', BigInt(pduSizeFor(profile.value, op))]);
    const ctx = packContext(profile.value.ctx, [...base, ...fields.value]);
    if (!ctx.ok) return reportError(io, ctx.error);
    const steps: TraceStep[] = [];
    const ret = interpret(verdict.program, ctx.value, (s) => steps.push(s)) >>> 0;
    const path = steps.map((s) => s.pc);
    const decision = ret === 0 ? 'deny' : 'allow';
    // the instructions with the field and constant names the source could use (ld [socket.family], jeq #AF_INET)
    const texts = instructionTexts(p.value.insns, { symbolic: true, layout: profile.value.ctx, payload: profile.value.payloads[op] });
    const insnAt = (pc: number) => texts[pc] ?? insnText(p.value, pc);
    if (opts.json) {
      io.out(JSON.stringify({
        ret, verdict: decision, path, kernel: profile.value.name, op: opcodeName(op),
        ctx: [...ctx.value],
        ...(opts.trace ? { trace: steps.map((s) => ({ ...s, insn: insnAt(s.pc) })) } : {}),
      }));
      return EXIT.OK;
    }
    io.out(`ret ${ret}: ${decision} (${opcodeName(op)}, kernel ${profile.value.name})`);
    if (opts.trace) {
      const w = Math.max(...steps.map((s) => insnAt(s.pc).length), 11);
      io.out(`  ${'pc'.padStart(4)}  ${'instruction'.padEnd(w)}  ${'A'.padEnd(10)}  X`);
      for (const s of steps) {
        io.out(`  ${String(s.pc).padStart(4)}  ${insnAt(s.pc).padEnd(w)}  ${hex(s.a)}  ${hex(s.x)}  ${describeStep(s, profile.value.ctx, profile.value.payloads[op])}`.trimEnd());
      }
    } else {
      io.out(`path: ${path.join(' -> ')}`);
    }
    return EXIT.OK;
  },
});
