// Where distributed work goes: a Redis server, through BullMQ (docs/distributed.md
// says why BullMQ). This file turns a `--queue redis://HOST:PORT[/DB]` URL into the
// connection options BullMQ and ioredis take, names the queues, and holds the one
// command line that starts a worker process (so it can be switched in one place).

import { rfError, type Result } from '../../model/errors.ts';

export interface QueueConnection {
  host: string;
  port: number;
  db: number;
  password?: string;
  username?: string;
  /** BullMQ workers block on Redis; ioredis must not give up on their commands. */
  maxRetriesPerRequest: null;
}

/** Parse `redis://[user:pass@]host[:port][/db]`. */
export function parseQueueUrl(text: string): Result<QueueConnection> {
  const bad = (why: string): Result<QueueConnection> => ({ ok: false, error: rfError('usage', `--queue ${text}: ${why}`, undefined, 'redis://HOST[:PORT][/DB], e.g. redis://127.0.0.1:6379') });
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return bad('not a URL');
  }
  if (u.protocol !== 'redis:') return bad(`the scheme must be redis:, not ${u.protocol}`);
  if (!u.hostname) return bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return bad('the port must be 1..65535');
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!/^\d{0,2}$/.test(path) || db > 15) return bad('the database must be 0..15');
  const c: QueueConnection = { host: u.hostname.replace(/^\[|\]$/g, ''), port, db, maxRetriesPerRequest: null };
  if (u.password) c.password = decodeURIComponent(u.password);
  if (u.username) c.username = decodeURIComponent(u.username);
  return { ok: true, value: c };
}

/** The queue of oracle jobs (a batch of traces on one kernel). */
export const ORACLE_QUEUE = 'ringfence-oracle';
/** The queue of exploration parts (one job per partition of the key space). */
export const EXPLORE_QUEUE = 'ringfence-explore';

/**
 * How to start a worker process: `node sim/cli/ringfence.mjs worker --queue URL ...`.
 * The one place that names the CLI entry, so a build that runs compiled code can switch it.
 */
export function workerCommand(entry: string, url: string, extra: string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [entry, 'worker', '--queue', url, ...extra] };
}

/**
 * A distributed search that could not finish: Redis could not be reached, a part
 * failed or its worker died (not a bug in the search). Here, not beside the search, so that `ringfence explore` can
 * know it without loading BullMQ when there is no --queue.
 */
export class QueueFailure extends Error {}
