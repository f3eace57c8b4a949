// `ringfence explore` through memoryIo: the thread count is an option with a
// checked value, and the JSON summary is the same with one thread and with two.

import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['explore', ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('ringfence explore --workers', () => {
  it('rejects a thread count that is not an integer from 1 to 32, in one line', async () => {
    for (const bad of ['0', '-1', 'two', '1.5', '256', String(2 ** 31), String(2 ** 32), String(2n ** 64n)]) {
      const r = await run([`--workers=${bad}`]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`error: --workers wants an integer from 1 to 32, got '${bad}'; see 'ringfence help explore'\n`);
    }
  });

  it('gives the same summary with one and two threads', async () => {
    const args = ['--depth', '3', '--lean', '--json'];
    const one = await run([...args, '--workers', '1']);
    const two = await run([...args, '--workers', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    const a = JSON.parse(one.out), b = JSON.parse(two.out);
    expect(a.workers).toBe(1);
    expect(b.workers).toBe(2);
    for (const k of ['states', 'transitions', 'perDepth', 'complete', 'violations']) expect(b[k]).toEqual(a[k]);
  }, 60_000);
});
