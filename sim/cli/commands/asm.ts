// `ringfence asm FILE`: assemble bpf_asm text (quads allowed) into instructions,
// printed as code:jt:jf:k quads, a C array, bpf_asm's decimal line, or raw bytes.

import { writeFileSync } from 'node:fs';
import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES } from '../../../model/profile/profiles.ts';
import { encodeBinary, formatBpfAsm, formatC, formatQuads, detectFormat, loadProgram } from '../../../model/bpf/index.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { reportLoad, resolveKernel } from './check.ts';

const FORMATS = ['quads', 'c', 'bpf_asm', 'bin'] as const;

const USAGE = `usage: ringfence asm FILE [--format quads|c|bpf_asm|bin] [--out PATH] [--kernel P]

Assembles FILE (the kernel's bpf_asm syntax; code:jt:jf:k quads, symbolic constants
such as #AF_INET and context fields such as [socket.family] allowed) and prints it:
  --format quads    one code:jt:jf:k per line (default; what a trace's program takes)
  --format c        a C array, as tcpdump -dd prints
  --format bpf_asm  bpf_asm's decimal line: N,code jt jf k,...
  --format bin      8-byte struct sock_filter records; needs --out PATH (or a pipe)
  --out PATH        write to PATH instead of standard output
  --kernel P        the profile whose context layout names fields (${PROFILE_NAMES.join(', ')}; default ${DEFAULT_PROFILE})
FILE '-' reads standard input.
exit: 0 assembled, 2 bad usage or a located error in the source`;

export const command: Command = {
  name: 'asm',
  summary: 'assemble bpf_asm text into quads, a C array, bpf_asm decimal or binary',
  usage: USAGE,
  run(argv, io) {
    const a = parseCommandArgs(argv, { format: { type: 'string' }, out: { type: 'string' }, kernel: { type: 'string' } });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    if (positionals.length !== 1) return reportError(io, rfError('usage', positionals.length ? 'give one source file' : 'no source file given'), undefined, USAGE);
    const format = (values.format as string | undefined) ?? 'quads';
    if (!(FORMATS as readonly string[]).includes(format)) {
      return reportError(io, rfError('usage', `unknown output format '${format}'`, undefined, FORMATS.join(', ')), undefined, USAGE);
    }
    const profile = resolveKernel(values.kernel as string | undefined);
    if (!profile.ok) return reportError(io, profile.error, undefined, USAGE);
    const file = positionals[0];
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
    const out = values.out as string | undefined;
    if (format === 'bin') {
      const bytes = encodeBinary(insns);
      if (out === undefined || out === '-') {
        if (io.isTty) return reportError(io, rfError('usage', 'refusing to write binary to a terminal; use --out PATH or a pipe'), undefined, USAGE);
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
};

function write(io: Parameters<Command['run']>[1], path: string, data: string | Uint8Array): number {
  try {
    writeFileSync(path, data);
    return EXIT.OK;
  } catch (e) {
    return reportError(io, rfError('io', `cannot write ${path}: ${(e as Error).message}`));
  }
}
