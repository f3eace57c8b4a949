// `ringfence SUBCOMMAND ...`: find the subcommand's module and run it.
// Each subcommand lives in commands/NAME.ts and exports `command`.

import { EXIT, type Command } from './command.ts';
import { processIo, type Io } from './io.ts';

/** Subcommands in the order `ringfence help` lists them. */
export const COMMANDS = [
  'main', 'replay', 'diff', 'explain', 'asm', 'disasm', 'check', 'run',
  'oracle', 'explore', 'policy', 'compile', 'fuzz', 'bench',
] as const;

async function load(name: string): Promise<Command | undefined> {
  if (!(COMMANDS as readonly string[]).includes(name)) return undefined;
  try {
    const mod = (await import(`./commands/${name}.ts`)) as { command: Command };
    return mod.command;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`commands/${name}.ts`)) {
      return undefined;
    }
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
  const lines = ['usage: ringfence COMMAND [ARGS...]', '', 'commands:'];
  for (const n of COMMANDS) {
    const c = await load(n);
    if (c) lines.push(`  ${n.padEnd(9)} ${c.summary}`);
  }
  lines.push('', "'ringfence help COMMAND' shows a command's options.");
  lines.push('exit codes: 0 pass, 1 an expectation or comparison failed, 2 usage or input error, 3 internal error');
  io.out(lines.join('\n'));
  return EXIT.OK;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return help(io, rest[0]);
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
