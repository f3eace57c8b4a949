// The command-line layer every `ringfence` command is declared with. One declaration
// per command gives the parser, the range checks, the usage line, `ringfence help NAME`,
// shell completion and the man page, so they cannot drift apart.
//
// A command declares itself like this (sim/cli/commands/check.ts is a full example):
//
//   export const command = defineCommand({
//     name: 'frob',
//     summary: 'one line for `ringfence help`',
//     args: 'FILE...',               // positionals as the usage line shows them
//     positionals: { min: 1 },       // how many (max defaults to unbounded; 0/0 for none)
//     about: 'a paragraph of prose under the usage line',
//     options: {
//       kernel: kernelOption('the profile to run under'),             // --kernel P (see below)
//       depth: intOption('moves per sequence', { arg: 'N', min: 0, max: 64, default: 4 }),
//       format: stringOption('output form', { arg: 'F', choices: ['text', 'c'], default: 'text' }),
//       lean: flagOption('no lifecycle moves'),
//       json: JSON_OPTION,                                             // every command that prints results
//     },
//     exit: '0 done, 1 a check failed, 2 bad usage or input',
//     run({ opts, args }, io, cx) {
//       // opts.depth: number (in range), opts.format: 'text' | 'c' as string, opts.kernel: string | undefined
//       if (bad) return cx.usage('what is wrong');   // one line + "see 'ringfence help frob'", exit 2
//       return EXIT.OK;
//     },
//   });
//
// Conventions the layer enforces, so every command behaves the same:
// - every numeric option has a declared range; numbers follow the trace language's rules
//   (decimal, 0x hex, 0o octal, a leading zero is ambiguous and rejected); an empty,
//   non-numeric, out-of-range or huge value is one usage error naming the range;
// - the kernel profile is `--kernel` (older names stay as deprecated aliases, with a notice);
// - a usage error is one line and a pointer to `ringfence help NAME`, exit 2;
// - with --json, errors are printed as one JSON object per line on standard output:
//   {"error":{"kind":"usage","message":"...","file":"x.trace","line":3,"col":5,"expected":"..."}}.

import { rfError, type RfError, type Result } from '../../model/errors.ts';
import { lookupSymbol } from '../../model/abi/symbols.ts';
import { PROFILE_NAMES } from '../../model/profile/profiles.ts';
import { parseLiteral } from '../trace/values.ts';
import { EXIT, reportError, type Command } from './command.ts';
import type { Io } from './io.ts';

interface Base {
  /** One line of help (more lines with \n); the range, choices and default are added. */
  help: string;
  /** The value's placeholder in usage lines (N, FILE, P). */
  arg?: string;
  /** A one-letter alias (`-a`). */
  short?: string;
  /** Older names that still work, with a deprecation notice on standard error. */
  aliases?: readonly string[];
  /** Left out of the usage line (still in the option list). */
  rare?: boolean;
}
export interface FlagOption extends Base { kind: 'flag' }
export interface StringOption extends Base {
  kind: 'string';
  choices?: readonly string[];
  default?: string;
  multiple?: boolean;
  /** What the shell should complete the value with. */
  complete?: 'file' | 'dir';
}
export interface IntOption extends Base { kind: 'int'; min: number; max: number; default?: number }
export interface KernelOption extends Base {
  kind: 'kernel';
  /** A comma-separated list (`7.2,7.3`); `count` demands exactly that many. */
  list?: boolean;
  count?: number;
  /** `all` stands for every known profile. */
  all?: boolean;
  /** The profiles accepted (default: every profile of the model). */
  names?: () => readonly string[];
}
export interface OpcodeOption extends Base { kind: 'opcode' }
export type OptionSpec = FlagOption | StringOption | IntOption | KernelOption | OpcodeOption;

/** The parsed value of one option. */
export type ValueOf<S> =
  S extends FlagOption ? boolean
  : S extends StringOption & { multiple: true } ? string[]
  : S extends StringOption & { default: string } ? string
  : S extends StringOption ? string | undefined
  : S extends IntOption & { default: number } ? number
  : S extends IntOption ? number | undefined
  : S extends KernelOption & { list: true } ? string[] | undefined
  : S extends KernelOption ? string | undefined
  : S extends OpcodeOption ? number | undefined
  : never;
export type Values<O extends Record<string, OptionSpec>> = { [K in keyof O]: ValueOf<O[K]> };

export const flagOption = <const X extends Omit<FlagOption, 'kind' | 'help'>>(help: string, x?: X) => ({ kind: 'flag', help, ...(x ?? {}) }) as FlagOption & X;
export const stringOption = <const X extends Omit<StringOption, 'kind' | 'help'>>(help: string, x?: X) => ({ kind: 'string', help, ...(x ?? {}) }) as StringOption & X;
export const intOption = <const X extends Omit<IntOption, 'kind' | 'help'>>(help: string, x: X) => ({ kind: 'int', help, ...x }) as IntOption & X;
export const kernelOption = <const X extends Omit<KernelOption, 'kind' | 'help'>>(help: string, x?: X) => ({ kind: 'kernel', help, arg: 'P', ...(x ?? {}) }) as KernelOption & X;
export const opcodeOption = (help: string) => ({ kind: 'opcode', help, arg: 'OP' }) as OpcodeOption;
/** `--json`: what every command that prints results takes. */
export const JSON_OPTION = flagOption('print JSON instead of text (errors too: {"error":{...}})');

/** Seeds of fast-check and of the random trace generator: a signed 32-bit integer. */
export const SEED_RANGE = { min: -0x80000000, max: 0x7fffffff } as const;
/** A week: the longest time any command may be told to run for. */
export const MAX_SECONDS = 7 * 24 * 3600;

export interface CommandContext {
  /** Report a usage error (one line, a pointer to the help) and return exit 2. */
  usage(message: string, expected?: string): number;
  /** Report any error value (located input errors with their source line). */
  error(e: RfError, source?: string): number;
  /** The command's help text (what reportError's `usage` argument takes). */
  help: string;
}

export interface CommandDef<O extends Record<string, OptionSpec>> {
  name: string;
  summary: string;
  /** Positionals as shown in the usage line ('FILE', 'FILE|DIR...'). */
  args?: string;
  positionals?: { min?: number; max?: number; name?: string };
  /** Usage lines instead of the generated one (the part after `ringfence NAME`). */
  synopsis?: readonly string[];
  about: string;
  options: O;
  /** Text after the option list ("FILE '-' reads standard input."). */
  notes?: string;
  exit: string;
  run(a: { opts: Values<O>; args: string[] }, io: Io, cx: CommandContext): Promise<number> | number;
}

/** A Command (sim/cli/command.ts) that also carries its declaration, for help, completion and man. */
export interface DeclaredCommand extends Command {
  def: CommandDef<Record<string, OptionSpec>>;
}

/** The text after `ringfence help` for one command. */
export function helpText(def: CommandDef<Record<string, OptionSpec>>): string {
  const lines = usageLines(def);
  lines.push('', def.about.trimEnd());
  const entries = Object.entries(def.options);
  if (entries.length) {
    lines.push('');
    const heads = entries.map(([name, o]) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.kind === 'flag' ? '' : ' ' + argOf(o)}`);
    const w = Math.min(22, Math.max(...heads.map((h) => h.length)) + 2);
    entries.forEach(([, o], k) => {
      const text = o.help.split('\n');
      const extra = describeValue(o);
      // the range, choices or default: on the help's last line when it fits, else under it
      if (extra && o.kind !== 'kernel' && text[text.length - 1].length + extra.length < 76) text[text.length - 1] += ' ' + extra;
      else if (extra) text.push(extra);
      const head = heads[k].length >= w ? [`  ${heads[k]}`, `  ${' '.repeat(w)}${text[0]}`] : [`  ${heads[k].padEnd(w)}${text[0]}`];
      lines.push(...head, ...text.slice(1).map((t) => `  ${' '.repeat(w)}${t}`));
    });
  }
  if (def.notes) lines.push(def.notes.trimEnd());
  lines.push(`exit: ${def.exit}`);
  return lines.join('\n');
}

function usageLines(def: CommandDef<Record<string, OptionSpec>>): string[] {
  if (def.synopsis) return def.synopsis.map((s, k) => `${k ? '      ' : 'usage:'} ringfence ${def.name} ${s}`.trimEnd());
  const parts = Object.entries(def.options).filter(([, o]) => !o.rare)
    .map(([name, o]) => `[--${name}${o.kind === 'flag' ? '' : ' ' + argOf(o)}${o.kind === 'string' && o.multiple ? ' ...' : ''}]`);
  if (def.args) parts.unshift(def.args);
  const out: string[] = [];
  let line = `usage: ringfence ${def.name}`;
  for (const p of parts) {
    if (line.length + 1 + p.length > 96) { out.push(line); line = ' '.repeat(`usage: ringfence ${def.name}`.length); }
    line += ' ' + p;
  }
  out.push(line);
  return out;
}

function argOf(o: OptionSpec): string {
  if (o.arg) return o.arg;
  if (o.kind === 'string' && o.choices && o.choices.length <= 4) return o.choices.join('|');
  return o.kind === 'int' ? 'N' : o.kind === 'kernel' ? 'P' : 'VALUE';
}

function kernelNames(o: KernelOption): readonly string[] {
  return o.names ? o.names() : PROFILE_NAMES;
}

/** What the option's value may be, added to its help. */
function describeValue(o: OptionSpec): string {
  switch (o.kind) {
    case 'int': return `(${o.min} to ${o.max}${o.default !== undefined ? `; default ${o.default}` : ''})`;
    case 'string': {
      const bits: string[] = [];
      if (o.choices && (o.choices.length > 4 || o.arg)) bits.push(`one of ${o.choices.join(', ')}`);
      if (o.default !== undefined) bits.push(`default ${o.default}`);
      return bits.length ? `(${bits.join('; ')})` : '';
    }
    case 'kernel':
      return `${o.list ? (o.count ? `${o.count} profiles, comma-separated, ` : 'a comma-separated list of ') : ''}${o.list && !o.count ? 'profiles: ' : 'one of '}${kernelNames(o).join(', ')}${o.all ? ', or all' : ''}`;
    default: return '';
  }
}

/** The accepted values of an integer option, for messages. */
function rangeWords(o: IntOption): string {
  return `an integer from ${o.min} to ${o.max}`;
}

/**
 * A number as the trace language writes it (decimal, 0x hex, 0o octal, a minus sign;
 * `010` is refused as ambiguous), or an error message.
 */
export function parseNumber(text: string): Result<bigint, string> {
  const r = parseLiteral(text, { file: '', line: 1, col: 1 });
  if (r === undefined) return { ok: false, error: `'${text}' is not a number` };
  if (!r.ok) return { ok: false, error: `'${text}' has a leading zero: decimal or octal is ambiguous (write ${text.replace(/^(-?)0+/, '$1') || 0}, or octal 0o${text.replace(/^-?0+/, '')})` };
  return { ok: true, value: r.value };
}

/** An opcode by name (SOCKET, IORING_OP_SOCKET) or number; any u32 (the kernel judges the range). */
export function parseOpcode(text: string): Result<number, string> {
  const named = lookupSymbol(text, ['opcode']);
  if (named !== undefined) return { ok: true, value: named };
  const n = parseNumber(text);
  if (n.ok && n.value >= 0n && n.value <= 0xffffffffn) return { ok: true, value: Number(n.value) };
  if (!n.ok && /leading zero/.test(n.error)) return n as Result<number, string>;
  return { ok: false, error: `unknown opcode '${text}' (expected an io_uring opcode name such as SOCKET, OPENAT, CONNECT, or its number from 0 to 4294967295)` };
}

function convert(name: string, o: OptionSpec, raw: string): Result<unknown, string> {
  switch (o.kind) {
    case 'int': {
      const n = parseNumber(raw);
      const range = `--${name} wants ${rangeWords(o)}, got '${raw}'`;
      if (!n.ok) return { ok: false, error: /leading zero/.test(n.error) ? `--${name}: ${n.error}` : range };
      if (n.value < BigInt(o.min) || n.value > BigInt(o.max)) return { ok: false, error: range };
      return { ok: true, value: Number(n.value) };
    }
    case 'string':
      if (o.choices && !o.choices.includes(raw)) return { ok: false, error: `--${name} wants one of ${o.choices.join(', ')}, got '${raw}'` };
      return { ok: true, value: raw };
    case 'opcode': {
      const r = parseOpcode(raw);
      return r.ok ? r : { ok: false, error: `--${name}: ${r.error}` };
    }
    case 'kernel': {
      const known = kernelNames(o);
      const want = `${o.list ? (o.count ? `${o.count} profiles such as 7.2,7.3` : 'profiles') : 'a profile'}: ${known.join(', ')}${o.all ? ', or all' : ''}`;
      if (o.all && raw === 'all') return { ok: true, value: o.list ? [...known] : raw };
      const list = o.list ? raw.split(',').map((s) => s.trim()) : [raw];
      for (const p of list) if (!known.includes(p)) return { ok: false, error: `unknown kernel profile '${p}' for --${name} (expected ${want})` };
      if (o.count !== undefined && list.length !== o.count) return { ok: false, error: `--${name} takes ${o.count} profiles, got ${list.length} (expected ${want})` };
      return { ok: true, value: o.list ? list : raw };
    }
    case 'flag': return { ok: true, value: true };
  }
}

export interface Parsed {
  opts: Record<string, unknown>;
  args: string[];
  /** Deprecated names used, for the notice. */
  deprecated: Array<[string, string]>;
  /** Options given on the command line (not defaulted). */
  given: Set<string>;
}

/**
 * Parse argv against the declared options. Unlike node:util's parseArgs, a value is
 * taken as written even when it starts with '-' (`--depth -1` is a range error, the
 * same as `--depth abc`), and every value is converted and range-checked.
 */
export function parseOptions(options: Record<string, OptionSpec>, argv: readonly string[]): Result<Parsed, string> {
  const byName = new Map<string, [string, OptionSpec]>();
  for (const [name, o] of Object.entries(options)) {
    byName.set(`--${name}`, [name, o]);
    if (o.short) byName.set(`-${o.short}`, [name, o]);
    for (const a of o.aliases ?? []) byName.set(`--${a}`, [name, o]);
  }
  const opts: Record<string, unknown> = {};
  const args: string[] = [];
  const deprecated: Array<[string, string]> = [];
  const given = new Set<string>();
  for (let k = 0; k < argv.length; k++) {
    const tok = argv[k];
    if (tok === '--') { args.push(...argv.slice(k + 1)); break; }
    if (!tok.startsWith('-') || tok === '-') { args.push(tok); continue; }
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const key = eq > 0 ? tok.slice(0, eq) : tok;
    const hit = byName.get(key);
    if (!hit) {
      if (/^-\d/.test(tok)) return { ok: false, error: `'${tok}' is not an option (a value starting with '-' follows its option)` };
      return { ok: false, error: `unknown option '${key}'` };
    }
    const [name, o] = hit;
    if (key.startsWith('--') && key !== `--${name}`) deprecated.push([key, `--${name}`]);
    given.add(name);
    if (o.kind === 'flag') {
      if (eq > 0) return { ok: false, error: `${key} takes no value` };
      opts[name] = true;
      continue;
    }
    let raw: string;
    if (eq > 0) raw = tok.slice(eq + 1);
    else if (k + 1 < argv.length) raw = argv[++k];
    else return { ok: false, error: `${key} needs a value${o.kind === 'int' ? ` (${rangeWords(o)})` : ` (${argOf(o)})`}` };
    const v = convert(name, o, raw);
    if (!v.ok) return v;
    if (o.kind === 'string' && o.multiple) opts[name] = [...((opts[name] as string[] | undefined) ?? []), v.value as string];
    else opts[name] = v.value;
  }
  for (const [name, o] of Object.entries(options)) {
    if (opts[name] !== undefined) continue;
    if (o.kind === 'flag') opts[name] = false;
    else if (o.kind === 'string' && o.multiple) opts[name] = [];
    else if ((o.kind === 'int' || o.kind === 'string') && o.default !== undefined) opts[name] = o.default;
  }
  return { ok: true, value: { opts, args, deprecated, given } };
}

/** Whether this Io prints errors as JSON (a command run with --json). */
export function withJsonErrors(io: Io): Io {
  const j = Object.create(io) as Io;
  j.jsonErrors = true;
  return j;
}

/** Declare a command: its options, help and run function (see the top of this file). */
export function defineCommand<const O extends Record<string, OptionSpec>>(def: CommandDef<O>): DeclaredCommand {
  const anyDef = def as unknown as CommandDef<Record<string, OptionSpec>>;
  const usage = helpText(anyDef);
  return {
    name: def.name,
    summary: def.summary,
    get usage() { return helpText(anyDef); },
    def: anyDef,
    async run(argv, io0) {
      // --json decides how even a bad command line is reported
      const wantsJson = 'json' in def.options && argv.some((a) => a === '--json');
      let io = wantsJson ? withJsonErrors(io0) : io0;
      const cx: CommandContext = {
        usage: (m, expected) => reportError(io, rfError('usage', m, undefined, expected), undefined, usage),
        error: (e, source) => reportError(io, e, source),
        help: usage,
      };
      const p = parseOptions(def.options, argv);
      if (!p.ok) return cx.usage(p.error);
      for (const [old, now] of p.value.deprecated) io.err(`ringfence ${def.name}: ${old} is deprecated; use ${now}`);
      if (p.value.opts.json === true && !io.jsonErrors) io = withJsonErrors(io0);
      const { min = 0, max = Infinity, name = 'argument' } = def.positionals ?? { min: 0, max: 0 };
      const n = p.value.args.length;
      if (n < min) return cx.usage(`no ${name} given`);
      if (n > max) return cx.usage(max === 0 ? `unexpected argument '${p.value.args[0]}'` : `${def.name} takes ${max === 1 ? `one ${name}` : `at most ${max} ${name}s`}, got ${n}`);
      return def.run({ opts: p.value.opts as Values<O>, args: p.value.args }, io, cx);
    },
  };
}

export const isDeclared = (c: Command): c is DeclaredCommand => 'def' in c;
export { EXIT };

/** The largest command index `--at STEP` takes (`policy`, `compile --onto`); a trace's steps are far fewer. */
export const MAX_STEP = 0x7fffffff;
