// Runs the harness in worker threads and watches them: a worker whose current
// input has run longer than the hang limit is stopped, the input is reported as a
// hang, and a new worker goes on from the next input. A worker that dies (an
// uncaught exception, out of memory) is reported the same way, as a crash.

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { availableEntries, HANG_MS, type Finding } from './harness.ts';
import type { WorkerJob, WorkerMessage } from './worker.ts';
import { COMPILED, modulePath } from '../package/layout.ts';

export interface CampaignOptions {
  seed: number;
  entries: string[];
  /** Indices [from, from + count) of every entry. */
  from: number;
  count: number;
  /** Stop starting inputs after this many seconds (0: run the whole count). */
  seconds: number;
  workers: number;
  /** The hang limit (ms); default HANG_MS. */
  hangMs?: number;
  onFinding(f: Finding): void;
  onProgress?(inputs: number): void;
}

export interface CampaignResult {
  inputs: number;
  findings: number;
  ms: number;
  /** Time spent per entry (ms, summed over workers). */
  perEntryMs: Record<string, number>;
}

// Compiled (dist/ or the CLI bundle), the worker module runs as it is; from the sources a worker thread
// has no TypeScript loader, so worker-entry.mjs registers tsx first.
const ENTRY = COMPILED ? modulePath('sim/fuzz/worker') : fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const t0 = Date.now();
  const deadline = o.seconds > 0 ? t0 + o.seconds * 1000 : 0;
  const hangMs = o.hangMs ?? HANG_MS;
  const names = availableEntries(o.entries).entries.map((e) => e.name);
  let inputs = 0, findings = 0;
  const perEntryMs: Record<string, number> = {};
  const found = (f: Finding) => { findings++; o.onFinding(f); };

  // One lane per worker: lane w takes indices from + w, from + w + workers, ...
  const lane = (w: number) => new Promise<void>((resolve) => {
    const start = (from: number, entryFrom: number) => {
      const beat = new SharedArrayBuffer(16);
      const pos = new Int32Array(beat, 0, 2), started = new Float64Array(beat, 8, 1);
      const job: WorkerJob = { seed: o.seed, entries: names, from, stride: o.workers, end: o.from + o.count, entryFrom, deadline, beat };
      const worker = new Worker(ENTRY, { workerData: job, stdout: true, stderr: true });
      // What a command writes to the real stdout/stderr (it should write through its Io) is dropped.
      worker.stdout.resume();
      worker.stderr.resume();
      let over = false;
      const finish = () => { over = true; clearInterval(watch); };
      // (Set up the watch after the worker object exists; it only reads shared memory.)
      const restartAfter = (kind: 'hang' | 'uncaught', detail: string) => {
        if (over) return;
        finish();
        const entry = names[pos[0]] ?? names[0], index = pos[1];
        found({ entry, index, seed: o.seed, problem: { kind, detail }, from: '' });
        void worker.terminate();
        inputs++;
        const nextEntry = pos[0] + 1;
        if (nextEntry < names.length) start(index, nextEntry);
        else if (index + o.workers < o.from + o.count && !(deadline && Date.now() > deadline)) start(index + o.workers, 0);
        else resolve();
      };
      const watch = setInterval(() => {
        const s = started[0];
        if (s > 0 && Date.now() - s > hangMs) restartAfter('hang', `still running after ${Math.round((Date.now() - s) / 1000)} s`);
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.t === 'finding') found(m.f);
        else if (m.t === 'count') {
          inputs += m.n;
          for (const [k, v] of Object.entries(m.ms)) perEntryMs[k] = (perEntryMs[k] ?? 0) + v;
          o.onProgress?.(inputs);
        } else if (m.t === 'done') { finish(); void worker.terminate(); resolve(); }
      });
      worker.on('error', (e) => restartAfter('uncaught', `the worker died: ${String((e as Error).stack ?? e).split('\n').slice(0, 4).join('\n')}`));
      worker.on('exit', (code) => { if (!over) restartAfter('uncaught', `the worker exited with ${code}`); });
    };
    start(o.from + w, 0);
  });
  await Promise.all(Array.from({ length: o.workers }, (_, w) => lane(w)));
  return { inputs, findings, ms: Date.now() - t0, perEntryMs };
}
