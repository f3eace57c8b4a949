// `ringfence disasm FILE`: print a program (binary, C array, bpf_asm decimal, quads or
// assembler) as bpf_asm text that assembles back to the same instructions.

import { DEFAULT_PROFILE } from '../../../model/profile/profiles.ts';
import { disassemble } from '../../../model/bpf/index.ts';
import type { InputFormat } from '../../../model/bpf/load.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, kernelOption, opcodeOption } from '../options.ts';
import { FORMAT_OPTION, readProgram, reportLoad, resolveKernel } from './check.ts';

export const command = defineCommand({
  name: 'disasm',
  summary: 'disassemble a cBPF program (binary, C array, decimal, quads) into bpf_asm text',
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'program file' },
  about: `Prints FILE as bpf_asm text with labels; assembling the output ('ringfence asm', with
the same --kernel) gives back exactly the same instructions. Encodings bpf_asm cannot
spell are printed as code:jt:jf:k quads.`,
  options: {
    annotate: flagOption('symbolic operands (ld [socket.family], jeq #AF_INET) and comments\nnaming the context fields loaded and allow/deny returns', { short: 'a' }),
    op: opcodeOption('name only OP\'s payload fields (SOCKET: socket.*, OPENAT: open.*, ...)'),
    kernel: kernelOption(`context layout to name fields from (default ${DEFAULT_PROFILE})`),
    format: FORMAT_OPTION,
    json: flagOption('print one JSON object: {"text", "insns":[{"code","jt","jf","k"}...]}'),
  },
  notes: "FILE '-' reads standard input.",
  exit: '0 printed, 2 bad usage or unreadable input',
  run({ opts, args }, io) {
    const profile = resolveKernel(opts.kernel);
    if (!profile.ok) return reportError(io, profile.error);
    const payload = opts.op !== undefined ? profile.value.payloads[opts.op] : undefined;
    const file = args[0];
    const p = readProgram(io, file, opts.format as InputFormat, profile.value);
    if (!p.ok) return reportLoad(io, p);
    const text = disassemble(p.value.insns, { annotate: opts.annotate, symbolic: opts.annotate, layout: profile.value.ctx, payload }).trimEnd();
    if (opts.json) {
      io.out(JSON.stringify({ kernel: profile.value.name, text, insns: p.value.insns.map((i) => ({ code: i.code, jt: i.jt, jf: i.jf, k: i.k >>> 0 })) }));
    } else io.out(text);
    return EXIT.OK;
  },
});
