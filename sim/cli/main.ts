// `ringfence SUBCOMMAND ...`: find the subcommand's module and run it.
// Each subcommand lives in commands/NAME.ts and exports `command`.

import { readFileSync } from 'node:fs';
import { EXIT, type Command } from './command.ts';
import { processIo, type Io } from './io.ts';
import { completionScript, SHELLS } from './completion.ts';
import { manPage } from './manpage.ts';
import { assetPath, modulePath, moduleUrl } from '../package/layout.ts';
import { SUMMARIES } from './summaries.ts';

/** Subcommands in the order `ringfence help` lists them. */
export const COMMANDS = [
  'main', 'replay', 'diff', 'explain', 'asm', 'disasm', 'check', 'run',
  'oracle', 'explore', 'policy', 'compile', 'fuzz', 'bench', 'matrix', 'worker', 'merge',
] as const;

/**
 * Commands loaded so far. An import() of a module already loaded still asks the
 * loader hooks (tsx) to resolve it, a round trip to their thread that cost more
 * than the command itself when main runs many times in one process (sim/fuzz).
 */
const loaded = new Map<string, Command>();

/** The package's version, from package.json (`ringfence --version`). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Every command that loads, in COMMANDS order (help, completion and the man page list them). */
export async function loadAll(): Promise<Command[]> {
  const out: Command[] = [];
  for (const n of COMMANDS) {
    const c = await load(n);
    if (c) out.push(c);
  }
  return out;
}

export async function load(name: string): Promise<Command | undefined> {
  if (!(COMMANDS as readonly string[]).includes(name)) return undefined;
  const known = loaded.get(name);
  if (known) return known;
  // Named from the package root (sources, dist/ or the bundle alike): loaded only when asked for.
  const file = `sim/cli/commands/${name}`;
  try {
    const mod = (await import(moduleUrl(file))) as { command: Command };
    loaded.set(name, mod.command);
    return mod.command;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(modulePath(file))) return undefined;
    throw e;
  }
}

async function help(io: Io, name?: string): Promise<number> {
  if (name) {
    const c = await load(name);
    if (!c) {
      io.err(`ringfence: no command '${name}'`);
      return EXIT.USAGE;
    }
    io.out(c.usage);
    return EXIT.OK;
  }
  io.out(await overview());
  return EXIT.OK;
}

/** `ringfence help`: every command with its summary, and the conventions they share. */
export async function overview(): Promise<string> {
  const lines = ['usage: ringfence COMMAND [ARGS...]', '       ringfence --version | completion bash|zsh|fish | man', '', 'commands:'];
  // Summaries come from a table, so `help` loads no command module (fast start).
  for (const n of COMMANDS) {
    const summary = SUMMARIES[n] ?? (await load(n))?.summary;
    if (summary !== undefined) lines.push(`  ${n.padEnd(9)} ${summary}`);
  }
  lines.push('', "'ringfence help COMMAND' shows a command's options.");
  lines.push('--kernel P names the kernel profile everywhere (default 7.3, or for a trace whose kernels= list');
  lines.push('leaves 7.3 out, the newest profile in it); --json prints JSON, errors included.');
  lines.push('exit codes: 0 pass, 1 an expectation or comparison failed, 2 usage or input error, 3 internal error');
  return lines.join('\n');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return help(io, rest[0]);
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`ringfence ${version()}`);
    return EXIT.OK;
  }
  if (name === 'completion') {
    if (rest.length !== 1 || !(SHELLS as readonly string[]).includes(rest[0])) {
      io.err(`error: completion wants one of ${SHELLS.join(', ')}; see 'ringfence help'`);
      return EXIT.USAGE;
    }
    io.out(completionScript(rest[0] as (typeof SHELLS)[number], await loadAll()));
    return EXIT.OK;
  }
  if (name === 'man') {
    if (rest.length) { io.err("error: man takes no arguments; see 'ringfence help'"); return EXIT.USAGE; }
    io.out(manPage(version(), await overview(), await loadAll()));
    return EXIT.OK;
  }
  const c = await load(name);
  if (!c) {
    io.err(`ringfence: unknown command '${name}'; 'ringfence help' lists them`);
    return EXIT.USAGE;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.out(c.usage);
    return EXIT.OK;
  }
  try {
    return await c.run(rest, io);
  } catch (e) {
    // Only bugs reach here: user mistakes are returned as error values.
    io.err(`ringfence ${name}: internal error (a bug in ringfence, please report it):`);
    io.err(String((e as Error).stack ?? e));
    return EXIT.INTERNAL;
  }
}
