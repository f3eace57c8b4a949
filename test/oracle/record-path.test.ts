// `oracle --record FILE` must never write among the bundled recordings for a file
// outside scenarios/ (issue 11 item 6: a file of the same name overwrote one).
// Files under scenarios/ are keyed by their path relative to it; others need --out.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { command, SCENARIOS_DIR } from '../../sim/cli/commands/oracle.ts';
import { EXIT } from '../../sim/cli/command.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { recordingPath } from '../../sim/oracle/record.ts';

const S = '/repo/scenarios';

describe('where a recording goes', () => {
  it.each([
    ['/repo/scenarios/cow.trace', undefined, '/repo/scenarios/recorded/7.3/cow.jsonl'],
    ['/repo/scenarios/sub/cow.trace', undefined, '/repo/scenarios/recorded/7.3/sub/cow.jsonl'],
    ['/repo/scenarios/sub/cow.trace', '/out', '/out/7.3/sub/cow.jsonl'],
    ['/elsewhere/cow.trace', '/out', '/out/7.3/cow.jsonl'],
    ['/repo/scenarios/../cow.trace', '/out', '/out/7.3/cow.jsonl'],
  ])('%s (--out %s) -> %s', (file, out, want) => {
    const r = recordingPath(S, file, '7.3', out);
    expect(r).toEqual({ ok: true, value: want });
  });
  it.each([
    '/elsewhere/cow.trace', '/repo/scenarios/../cow.trace', '/repo/scenariosx/cow.trace', '/repo/scenarios/recorded/7.3/cow.trace', '/repo/scenarios',
  ])('%s without --out is refused', (file) => {
    const r = recordingPath(S, file, '7.3');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'usage', expected: expect.stringContaining('--out DIR') });
  });
});

describe('oracle --record FILE outside scenarios/', () => {
  it('is refused before any kernel runs (exit 2), and names --out', async () => {
    const io = memoryIo({ 'cow.trace': 'trace t\n  ring r => 0\nend\n' });
    const code = await command.run(['--record', '--kernel', '7.3', 'cow.trace'], io);
    expect(code).toBe(EXIT.USAGE);
    expect(io.stderr).toMatch(/cow\.trace is not under .*scenarios: its recording would land among the bundled ones \(expected --out DIR/);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });
  it('a bundled scenario keeps its place', () => {
    expect(recordingPath(SCENARIOS_DIR, join(SCENARIOS_DIR, 'cow.trace'), '7.3')).toEqual({ ok: true, value: join(SCENARIOS_DIR, 'recorded', '7.3', 'cow.jsonl') });
  });
});
