// A worker thread of a parallel exploration (parallel.ts): builds the subject and
// universe from the spec it is given and runs one shard, one step per message.

import { parentPort, workerData } from 'node:worker_threads';
import { buildSearch, type SearchSpec } from './spec.ts';
import { Shard, type StepReply, type StepRequest } from './shard.ts';

export interface WorkerInit {
  spec: SearchSpec;
  index: number;
  count: number;
  depth: number;
  perKind: number;
}

const port = parentPort!;
const init = workerData as WorkerInit;
try {
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
    const k = reply.keys;
    port.postMessage(reply, k.lens.length ? [k.bytes.buffer, k.lens.buffer, k.hashes.buffer] as ArrayBuffer[] : []);
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: (e as Error).stack ?? String(e) });
}
