// The shape every `ringfence` subcommand has, and the exit codes scripts rely on.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatError, rfError, type RfError, type Result } from '../../model/errors.ts';
import type { Io } from './io.ts';

export const EXIT = {
  /** Everything passed. */
  OK: 0,
  /** The command ran and an expectation (or a comparison) failed. */
  FAILED: 1,
  /** Bad command line or bad input: nothing was run. */
  USAGE: 2,
  /** A bug in ringfence. */
  INTERNAL: 3,
} as const;

export interface Command {
  name: string;
  summary: string;
  /** Usage text shown by `ringfence help NAME` and on usage errors. */
  usage: string;
  run(argv: string[], io: Io): Promise<number> | number;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** node:util parseArgs, with its exceptions turned into usage errors. */
export function parseCommandArgs(argv: string[], options: Options, allowPositionals = true): Result<ParsedArgs> {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { ok: true, value: r as ParsedArgs };
  } catch (e) {
    return { ok: false, error: rfError('usage', String((e as Error).message).replace(/\. To specify.*$/s, '')) };
  }
}

/** Print an error value (with the source line when known) and return the exit code for it. */
export function reportError(io: Io, e: RfError, source?: string, usage?: string): number {
  io.err(formatError(e, source));
  if (e.kind === 'usage' && usage) io.err(usage);
  return e.kind === 'internal' ? EXIT.INTERNAL : EXIT.USAGE;
}
