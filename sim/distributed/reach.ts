// Before a coordinator queues anything: is Redis there at all? BullMQ's clients
// retry a refused connection for ever (what a worker wants while Redis starts), so a
// coordinator given a wrong --queue URL would wait silently, printing the client's
// stack traces. One probe with no retries turns that into one clear error.

import { Redis } from 'ioredis';
import { QueueFailure, type QueueConnection } from './queue.ts';

/** Connect once (no retries) and PING; a QueueFailure saying what went wrong otherwise. */
export async function ensureReachable(c: QueueConnection, timeoutMs = 5000): Promise<void> {
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
  } catch (e) {
    throw new QueueFailure(`cannot reach Redis at ${c.host}:${c.port} (${(cause ?? (e as Error)).message}): start redis-server there, or check the --queue URL`);
  } finally {
    probe.disconnect();
  }
}
