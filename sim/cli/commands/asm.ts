// `ringfence asm FILE`: assemble bpf_asm text (quads allowed) into instructions,
// printed as code:jt:jf:k quads, a C array, bpf_asm's decimal line, or raw bytes.

import { writeFileSync } from 'node:fs';
import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE } from '../../../model/profile/profiles.ts';
import { encodeBinary, formatBpfAsm, formatC, formatQuads, detectFormat, loadProgram } from '../../../model/bpf/index.ts';
import { EXIT, reportError, type Command } from '../command.ts';
import { defineCommand, flagOption, kernelOption, stringOption } from '../options.ts';
import { reportLoad, resolveKernel } from './check.ts';

const FORMATS = ['quads', 'c', 'bpf_asm', 'bin'] as const;

export const command = defineCommand({
  name: 'asm',
  summary: 'assemble bpf_asm text into quads, a C array, bpf_asm decimal or binary',
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'source file' },
  about: `Assembles FILE (the kernel's bpf_asm syntax; code:jt:jf:k quads, symbolic constants
such as #AF_INET and context fields such as [socket.family] allowed) and prints it:
  quads    one code:jt:jf:k per line (what a trace's program takes)
  c        a C array, as tcpdump -dd prints
  bpf_asm  bpf_asm's decimal line: N,code jt jf k,...
  bin      8-byte struct sock_filter records; needs --out PATH (or a pipe)`,
  options: {
    format: stringOption('output form', { arg: 'F', choices: FORMATS, default: 'quads' }),
    out: stringOption('write to PATH instead of standard output', { arg: 'PATH', complete: 'file' }),
    kernel: kernelOption(`the profile whose context layout names fields (default ${DEFAULT_PROFILE})`),
    json: flagOption('print one JSON object: {"insns":[{"code","jt","jf","k"}...], "quads", "kernel"}'),
  },
  notes: "FILE '-' reads standard input.",
  exit: '0 assembled, 2 bad usage or a located error in the source',
  run({ opts, args }, io, cx) {
    const format = opts.format;
    const profile = resolveKernel(opts.kernel);
    if (!profile.ok) return reportError(io, profile.error);
    const file = args[0];
    const bytes = io.readBinary(file);
    if (!bytes.ok) return reportError(io, bytes.error);
    const looks = detectFormat(bytes.value, file);
    if (looks !== 'asm') {
      const what = { bin: 'binary struct sock_filter records', c: 'a C array', bpf_asm: "bpf_asm's decimal output" }[looks];
      return reportError(io, rfError('usage', `${file} looks like ${what}, not assembler text; 'ringfence disasm ${file}' reads it`));
    }
    const p = loadProgram(bytes.value, file, 'asm', profile.value.ctx);
    if (!p.ok) return reportLoad(io, { error: p.error, source: new TextDecoder().decode(bytes.value) });
    const insns = p.value.insns;
    const out = opts.out;
    if (opts.json) {
      const text = JSON.stringify({ kernel: profile.value.name, insns: insns.map((i) => ({ code: i.code, jt: i.jt, jf: i.jf, k: i.k >>> 0 })), quads: formatQuads(insns).trimEnd().split('\n') });
      if (out !== undefined && out !== '-') return write(io, out, text + '\n');
      io.out(text);
      return EXIT.OK;
    }
    if (format === 'bin') {
      const bytes = encodeBinary(insns);
      if (out === undefined || out === '-') {
        if (io.isTty) return cx.usage('refusing to write binary to a terminal; use --out PATH or a pipe');
        process.stdout.write(bytes);
        return EXIT.OK;
      }
      return write(io, out, bytes);
    }
    const text = format === 'c' ? formatC(insns) : format === 'bpf_asm' ? formatBpfAsm(insns) : formatQuads(insns);
    if (out !== undefined && out !== '-') return write(io, out, text);
    io.out(text.trimEnd());
    return EXIT.OK;
  },
});

function write(io: Parameters<Command['run']>[1], path: string, data: string | Uint8Array): number {
  try {
    writeFileSync(path, data);
    return EXIT.OK;
  } catch (e) {
    return reportError(io, rfError('io', `cannot write ${path}: ${(e as Error).message}`));
  }
}
