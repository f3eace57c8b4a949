// Before a coordinator queues anything: is Redis there at all? BullMQ's clients
// retry a refused connection for ever (what a worker wants while Redis starts), so a
// coordinator given a wrong --queue URL would wait silently, printing the client's
// stack traces. One probe with no retries turns that into one clear error.

import { Redis } from 'ioredis';
import { rfError, type Result } from '../../model/errors.ts';
import type { QueueConnection } from './queue.ts';

/** Connect once (no retries) and PING; an io error saying what went wrong otherwise. */
export async function reachRedis(c: QueueConnection, timeoutMs = 5000): Promise<Result<void>> {
  const probe = new Redis({
    ...c, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The failure is reported once, below (without a listener ioredis prints each one);
  // the socket's error says more than the promise's "Connection is closed".
  let cause: Error | null = null;
  probe.on('error', (e: Error) => { cause ??= e; });
  try {
    await probe.connect();
    await probe.ping();
    return { ok: true, value: undefined };
  } catch (e) {
    return { ok: false, error: rfError('io', `cannot reach Redis at ${c.host}:${c.port} (${(cause ?? (e as Error)).message}): start redis-server there, or check the --queue URL`) };
  } finally {
    probe.disconnect();
  }
}
