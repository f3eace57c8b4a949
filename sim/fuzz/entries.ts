// The entry points the harness drives: CLI commands that read a file, each run
// in-process through main(argv, io) on one mutated input. Adding an entry point
// is one row. A row whose command does not exist yet (`requires`) is skipped with
// a notice.

import type { Corpus } from './corpus.ts';

export interface Entry {
  name: string;
  /** Which seeds it mutates. */
  kind: keyof Corpus;
  /** The command line for an input file. */
  argv(file: string): string[];
  /** A command this row needs (ringfence COMMANDS); skipped with a notice while it is missing. */
  requires?: string;
}

export const ENTRIES: readonly Entry[] = [
  { name: 'replay', kind: 'trace', argv: (f) => ['replay', f] },
  { name: 'explain', kind: 'trace', argv: (f) => ['explain', f] },
  { name: 'diff', kind: 'trace', argv: (f) => ['diff', '--kernel', '7.2,7.3', f] },
  { name: 'policy', kind: 'trace', argv: (f) => ['policy', f] },
  { name: 'asm', kind: 'filter', argv: (f) => ['asm', f] },
  { name: 'disasm', kind: 'filter', argv: (f) => ['disasm', '--annotate', f] },
  { name: 'check', kind: 'filter', argv: (f) => ['check', '--op', 'SOCKET', '--show', f] },
  { name: 'run', kind: 'filter', argv: (f) => ['run', '--op', 'SOCKET', '--field', 'socket.family=AF_INET', '--trace', f] },
  // The policy language (model/policy/, `ringfence compile`) is being written; this
  // row runs once the command exists.
  { name: 'compile', kind: 'policy', argv: (f) => ['compile', f], requires: 'compile' },
];
