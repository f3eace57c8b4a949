// `ringfence man`: the man page (roff), made from the same help text `ringfence help`
// prints, so the two never disagree. Install with: ringfence man > ringfence.1

import type { Command } from './command.ts';

/** Text made safe for roff: backslashes escaped, a leading dot or quote escaped, non-ASCII as \[uXXXX]. */
function roff(text: string): string {
  return text.replace(/\\/g, '\\e')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n').map((l) => (/^[.']/.test(l) ? '\\&' + l : l)).join('\n');
}

export function manPage(version: string, overview: string, commands: Command[]): string {
  const out = [
    `.TH RINGFENCE 1 "" "ringfence ${version}" "User Commands"`,
    '.SH NAME',
    'ringfence \\- a full-system simulator of Linux io_uring restriction semantics',
    '.SH SYNOPSIS',
    '.nf',
    roff(overview.split('\n\n')[0]),
    '.fi',
    '.SH DESCRIPTION',
    'Replays traces of system calls on a simulated kernel with kernel profiles 6.18, 7.0\\-7.3 and v5,',
    'checks invariants, explores call sequences, assembles and checks cBPF filters, and runs the',
    'same traces on real kernels in qemu.',
    '.PP',
    '.nf',
    roff(overview.split('\n\n').slice(1).join('\n\n')),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const c of commands) {
    out.push(`.SS ${c.name}`, roff(c.summary), '.PP', '.nf', roff(c.usage), '.fi');
  }
  out.push('.SH EXIT STATUS', '0 everything passed; 1 an expectation or comparison failed; 2 usage or input error (nothing was run);',
    '3 an internal error (a bug in ringfence).', '.SH SEE ALSO', 'README.md and docs/cli.md in the ringfence sources.');
  return out.join('\n') + '\n';
}
