// `ringfence run FILE --op OP`: run a filter on one request's context, built from
// --field values, and print the result (0 deny, anything else allow) and the path
// taken; --trace shows every step with A, X and the cell or context word it touched.

import { rfError, type Result } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, pduSizeFor, type KernelProfile } from '../../../model/profile/profiles.ts';
import { opcodeName } from '../../../model/abi/opcodes.ts';
import { interpret, parseValue, type TraceStep } from '../../../model/bpf/index.ts';
import { INPUT_FORMATS } from '../../../model/bpf/load.ts';
import { findField, packContext } from '../../../model/bpf/context.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { describeRejection, insnText, readProgram, reportLoad, resolveFormat, resolveKernel, resolveOp, verdictFor } from './check.ts';

const USAGE = `usage: ringfence run FILE --op OP [--field NAME=VALUE ...] [--trace] [--json] [--kernel P]

Loads FILE as check does, then runs it on the context of one OP request, as the
kernel fills it: opcode = OP, pdu_size = the kernel's payload size for OP, every
other byte 0 unless set with --field. Prints the return value (0 denies the
request, anything else allows it) and the instructions executed.
  --op OP              the request's opcode (SOCKET, OPENAT, OPENAT2, CONNECT, 45, ...)
  --field NAME=VALUE   set a context field; NAME is one of the profile's fields
                       (user_data, sqe_flags, socket.family, socket.type, socket.protocol,
                       open.flags, open.mode, open.resolve, connect.family, connect.port,
                       connect.v4_addr, ...); VALUE is a number or symbolic names joined
                       with | (AF_INET, SOCK_STREAM|SOCK_NONBLOCK, O_CREAT|O_TRUNC,
                       IO_LINK|ASYNC); connect.v4_addr also takes a dotted quad.
                       Payload fields must belong to OP's payload.
  --trace              print every executed instruction with A, X and what it touched
  --json               one JSON object: {"ret", "verdict", "path", "trace"?, ...}
  --kernel P           kernel profile (${PROFILE_NAMES.join(', ')}; default ${DEFAULT_PROFILE})
  --format F           input form: ${INPUT_FORMATS.join(', ')} (default auto)
exit: 0 ran (allow or deny), 1 the kernel would reject the program, 2 bad usage or input`;

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

function describeStep(s: TraceStep): string {
  const bits: string[] = [];
  if (s.load) bits.push(`A <- ctx[${s.load.offset}] = ${hex(s.load.value)}`);
  if (s.mem) bits.push(s.mem.write ? `M[${s.mem.cell}] <- ${hex(s.mem.value)}` : `M[${s.mem.cell}] = ${hex(s.mem.value)}`);
  if (s.taken !== undefined) bits.push(`${s.taken ? 'true' : 'false'} -> ${s.next}`);
  else if (s.next !== undefined) bits.push(`-> ${s.next}`);
  if (s.ret !== undefined) bits.push(`return ${s.ret >>> 0} (${s.ret === 0 ? 'deny' : 'allow'})`);
  if (s.note) bits.push(s.note);
  return bits.join('; ');
}

export const command: Command = {
  name: 'run',
  summary: 'run a cBPF filter on one request context: the result, allow or deny, and the path',
  usage: USAGE,
  run(argv, io) {
    const a = parseCommandArgs(argv, {
      op: { type: 'string' }, field: { type: 'string', multiple: true }, trace: { type: 'boolean' },
      json: { type: 'boolean' }, kernel: { type: 'string' }, format: { type: 'string' },
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    if (positionals.length !== 1) return reportError(io, rfError('usage', positionals.length ? 'give one program file' : 'no program file given'), undefined, USAGE);
    if (values.op === undefined) return reportError(io, rfError('usage', '--op is required: the context depends on the opcode'), undefined, USAGE);
    const profile = resolveKernel(values.kernel as string | undefined);
    if (!profile.ok) return reportError(io, profile.error, undefined, USAGE);
    const format = resolveFormat(values.format as string | undefined);
    if (!format.ok) return reportError(io, format.error, undefined, USAGE);
    const o = resolveOp(values.op as string);
    if (!o.ok) return reportError(io, o.error, undefined, USAGE);
    const op = o.value;
    const file = positionals[0];
    const p = readProgram(io, file, format.value, profile.value);
    if (!p.ok) return reportLoad(io, p);
    const { verdict, report } = verdictFor(p.value, profile.value, op);
    if (!verdict.ok) {
      if (values.json) io.out(JSON.stringify(report));
      else {
        io.out('the kernel would not load this program, so it never runs:');
        describeRejection(io, file, p.value, report);
      }
      return EXIT.FAILED;
    }
    const fields = fieldValues((values.field as string[] | undefined) ?? [], profile.value, op);
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
    if (values.json) {
      io.out(JSON.stringify({
        ret, verdict: decision, path, kernel: profile.value.name, op: opcodeName(op),
        ctx: [...ctx.value],
        ...(values.trace ? { trace: steps.map((s) => ({ ...s, insn: insnText(p.value, s.pc) })) } : {}),
      }));
      return EXIT.OK;
    }
    io.out(`ret ${ret}: ${decision} (${opcodeName(op)}, kernel ${profile.value.name})`);
    if (values.trace) {
      const w = Math.max(...steps.map((s) => insnText(p.value, s.pc).length), 11);
      io.out(`  ${'pc'.padStart(4)}  ${'instruction'.padEnd(w)}  ${'A'.padEnd(10)}  X`);
      for (const s of steps) {
        io.out(`  ${String(s.pc).padStart(4)}  ${insnText(p.value, s.pc).padEnd(w)}  ${hex(s.a)}  ${hex(s.x)}  ${describeStep(s)}`.trimEnd());
      }
    } else {
      io.out(`path: ${path.join(' -> ')}`);
    }
    return EXIT.OK;
  },
};
