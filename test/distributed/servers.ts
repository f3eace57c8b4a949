// Real servers for the distributed tests: a redis-server on a free loopback port and
// `ringfence worker` processes, all started here and always stopped (stopAll).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerCommand } from '../../sim/distributed/queue.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'sim/cli/ringfence.mjs');

/** Whether Debian's redis-server is installed (`.ci/run` installs it; without it the tests say so and skip). */
export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
export const NO_REDIS_MESSAGE = 'redis-server is not installed: the distributed tests need it (apt-get install -y redis-server); skipped';

const started: ChildProcess[] = [];

/** A free loopback port (taken, then given back): for a server, or for nothing to listen on. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); res(true); });
    c.once('error', () => res(false));
  });
}

/** Start redis-server on a free loopback port, no persistence; gives its URL. */
export async function startRedis(): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rf-redis-'));
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  started.push(p);
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

export interface RunningWorker {
  proc: ChildProcess;
  log: string[];
  /** Resolves once the worker's stderr has a line matching re. */
  saw(re: RegExp): Promise<void>;
}

/** Start a `ringfence worker` process on the queue. */
export function startWorker(url: string, env: Record<string, string>, extra: string[] = []): RunningWorker {
  const { cmd, args } = workerCommand(CLI, url, extra);
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(proc);
  const log: string[] = [];
  const waiters: { re: RegExp; res: () => void }[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log.push(...d.split('\n').filter(Boolean));
    for (const w of [...waiters]) if (log.some((l) => w.re.test(l))) { waiters.splice(waiters.indexOf(w), 1); w.res(); }
  });
  return {
    proc, log,
    saw: (re) => new Promise((res) => { if (log.some((l) => re.test(l))) res(); else waiters.push({ re, res }); }),
  };
}

/** Run the CLI to the end: exit code, stdout, stderr. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(p);
    let out = '', err = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    p.on('close', (code) => res({ code: code ?? -1, out, err }));
  });
}

/** Stop every process started here (the workers first, then redis), each by its own pid. */
export async function stopAll(): Promise<void> {
  const live = started.splice(0).reverse().filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(live.map((p) => new Promise<void>((res) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); }, 5000);
    p.once('exit', () => { clearTimeout(t); res(); });
    p.kill('SIGTERM');
  })));
}
