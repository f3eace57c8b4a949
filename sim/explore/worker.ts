// A worker thread of a parallel exploration (parallel.ts): builds the subject and
// universe from the spec it is given and runs one shard, one step per message.

import { parentPort, workerData } from 'node:worker_threads';
import { useTextNumbers } from '../../model/world/key.ts';
import { SharedTexts, type SharedTextsInit } from './shared-texts.ts';
import { buildSearch, type SearchSpec } from './spec.ts';
import { Shard, type StepReply, type StepRequest } from './shard.ts';

export interface WorkerInit {
  spec: SearchSpec;
  index: number;
  count: number;
  depth: number;
  perKind: number;
  /** The text numbering all workers share (keys from different threads must agree). */
  texts: SharedTextsInit;
}

const port = parentPort!;
const init = workerData as WorkerInit;
try {
  const texts = new SharedTexts(init.texts);
  useTextNumbers((s) => texts.number(s));
  const { subject, universe } = await buildSearch(init.spec);
  const shard = new Shard(subject, universe, init.index, init.count, init.depth, init.perKind);
  port.on('message', (req: StepRequest) => {
    let reply: StepReply;
    try {
      reply = shard.step(req);
    } catch (e) {
      port.postMessage({ error: (e as Error).stack ?? String(e) });
      return;
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: (e as Error).stack ?? String(e) });
}
