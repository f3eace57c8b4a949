// `ringfence help` lists summaries from sim/cli/summaries.ts without loading the
// command modules; each must say what the module's own `command.summary` says.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../sim/cli/main.ts';
import { SUMMARIES } from '../../sim/cli/summaries.ts';
import type { Command } from '../../sim/cli/command.ts';

describe('help summaries', () => {
  for (const name of COMMANDS) {
    it(`${name}: the table says what the module says`, async () => {
      const { command } = (await import(`../../sim/cli/commands/${name}.ts`)) as { command: Command };
      expect(SUMMARIES[name]).toBe(command.summary);
    });
  }
  it('lists no command that does not exist', () => {
    expect(Object.keys(SUMMARIES).filter((n) => !(COMMANDS as readonly string[]).includes(n))).toEqual([]);
  });
});
