// `ringfence disasm FILE`: print a program (binary, C array, bpf_asm decimal, quads or
// assembler) as bpf_asm text that assembles back to the same instructions.

import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES } from '../../../model/profile/profiles.ts';
import { disassemble } from '../../../model/bpf/index.ts';
import { INPUT_FORMATS } from '../../../model/bpf/load.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { readProgram, reportLoad, resolveFormat, resolveKernel, resolveOp } from './check.ts';

const USAGE = `usage: ringfence disasm FILE [--annotate] [--op OP] [--kernel P] [--format F]

Prints FILE as bpf_asm text with labels; assembling the output ('ringfence asm')
gives back exactly the same instructions. Encodings bpf_asm cannot spell are
printed as code:jt:jf:k quads.
  -a, --annotate  comments naming the context fields loaded, the constants compared
                  (AF_INET, O_CREAT|O_TRUNC, ...) and allow/deny returns
  --op OP         name only OP's payload fields (SOCKET: socket.*, OPENAT: open.*, ...)
  --kernel P      context layout to name fields from (${PROFILE_NAMES.join(', ')}; default ${DEFAULT_PROFILE})
  --format F      input form: ${INPUT_FORMATS.join(', ')} (default auto)
FILE '-' reads standard input.
exit: 0 printed, 2 bad usage or unreadable input`;

export const command: Command = {
  name: 'disasm',
  summary: 'disassemble a cBPF program (binary, C array, decimal, quads) into bpf_asm text',
  usage: USAGE,
  run(argv, io) {
    const a = parseCommandArgs(argv, {
      annotate: { type: 'boolean', short: 'a' }, op: { type: 'string' }, kernel: { type: 'string' }, format: { type: 'string' },
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    if (positionals.length !== 1) return reportError(io, rfError('usage', positionals.length ? 'give one program file' : 'no program file given'), undefined, USAGE);
    const profile = resolveKernel(values.kernel as string | undefined);
    if (!profile.ok) return reportError(io, profile.error, undefined, USAGE);
    const format = resolveFormat(values.format as string | undefined);
    if (!format.ok) return reportError(io, format.error, undefined, USAGE);
    let payload: 'socket' | 'open' | 'connect' | undefined;
    if (values.op !== undefined) {
      const o = resolveOp(values.op as string);
      if (!o.ok) return reportError(io, o.error, undefined, USAGE);
      payload = profile.value.payloads[o.value];
    }
    const file = positionals[0];
    const p = readProgram(io, file, format.value, profile.value);
    if (!p.ok) return reportLoad(io, p);
    io.out(disassemble(p.value.insns, { annotate: Boolean(values.annotate), layout: profile.value.ctx, payload }).trimEnd());
    return EXIT.OK;
  },
};
