// A harness worker: runs inputs (seed, entry, index) from a start position with a
// stride, and before each one writes which input it is and when it started into
// shared memory, so the main thread can tell a hang and name the input.

import { parentPort, workerData } from 'node:worker_threads';
import { availableEntries, judge, makeInput, runInput, type Finding } from './harness.ts';

export interface WorkerJob {
  seed: number;
  entries: string[];
  /** First index, stride between indices, and the index to stop before. */
  from: number;
  stride: number;
  end: number;
  /** Within the first index, the entry to start at (after a hang, the next one). */
  entryFrom: number;
  /** Stop starting inputs after this (Date.now() ms); 0: no limit. */
  deadline: number;
  /** Int32 [entry, index], Float64 [started ms, 0 when idle] (see pool.ts). */
  beat: SharedArrayBuffer;
}

export type WorkerMessage =
  | { t: 'finding'; f: Finding }
  | { t: 'count'; n: number; ms: Record<string, number> }
  | { t: 'done' };

async function work(job: WorkerJob): Promise<void> {
  const { entries } = availableEntries(job.entries);
  const pos = new Int32Array(job.beat, 0, 2);
  const started = new Float64Array(job.beat, 8, 1);
  let n = 0;
  const ms: Record<string, number> = {};
  const flush = () => { parentPort!.postMessage({ t: 'count', n, ms: { ...ms } } satisfies WorkerMessage); n = 0; for (const k in ms) ms[k] = 0; };
  for (let i = job.from; i < job.end; i += job.stride) {
    if (job.deadline && Date.now() > job.deadline) break;
    for (let k = i === job.from ? job.entryFrom : 0; k < entries.length; k++) {
      const e = entries[k];
      const input = makeInput(e, job.seed, i);
      pos[0] = k;
      pos[1] = i;
      started[0] = Date.now();
      const o = await runInput(e, input);
      started[0] = 0;
      n++;
      ms[e.name] = (ms[e.name] ?? 0) + o.ms;
      const p = judge(input, o);
      if (p) parentPort!.postMessage({ t: 'finding', f: { entry: e.name, index: i, seed: job.seed, problem: p, from: input.from } } satisfies WorkerMessage);
    }
    if (n >= 500) flush();
  }
  flush();
  parentPort!.postMessage({ t: 'done' } satisfies WorkerMessage);
}

await work(workerData as WorkerJob);
