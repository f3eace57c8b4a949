import { Worker } from 'bullmq';
import { EXPLORE_QUEUE, type QueueConnection } from './queue.ts';
export function exploreWorker(connection: QueueConnection, o: { lockMs: number; log: (l: string) => void }): Worker {
  return new Worker(EXPLORE_QUEUE, async (): Promise<unknown> => { throw new Error('todo'); }, { connection, lockDuration: o.lockMs });
}
