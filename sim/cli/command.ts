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

/** An error value as the JSON object printed with --json (file, line and col when located). */
export function errorJson(e: RfError): { error: Record<string, string | number> } {
  const o: Record<string, string | number> = { kind: e.kind, message: e.message };
  if (e.loc) { o.file = e.loc.file; o.line = e.loc.line; o.col = e.loc.col; }
  if (e.expected) o.expected = e.expected;
  return { error: o };
}

/**
 * Print an error value and return the exit code for it: with --json one JSON object
 * on standard output, else text on standard error (with the source line when known).
 * `usage` is the command's help text: a usage error then ends with a pointer to
 * `ringfence help NAME`, on the same line (never the whole help).
 */
export function reportError(io: Io, e: RfError, source?: string, usage?: string): number {
  if (io.jsonErrors) io.out(JSON.stringify(errorJson(e)));
  else {
    const name = usage ? /^usage: ringfence (\S+)/.exec(usage)?.[1] : undefined;
    io.err(formatError(e, source) + (e.kind === 'usage' && name ? `; see 'ringfence help ${name}'` : ''));
  }
  return e.kind === 'internal' ? EXIT.INTERNAL : EXIT.USAGE;
}
