// `ringfence worker --queue URL`: a process that takes jobs off the queue (oracle
// batches, exploration parts) until it is stopped. Run any number, on any machine
// that reaches the Redis server.

import { rfError } from '../../../model/errors.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { guestFromEnv } from '../../distributed/fake-guest.ts';
import { oracleWorker } from '../../distributed/oracle.ts';
import { exploreWorker, useHashedTextNumbers } from '../../distributed/explore.ts';
import { parseQueueUrl } from '../../distributed/queue.ts';

const USAGE = `usage: ringfence worker --queue URL [--concurrency N] [--jobs N] [--lock-seconds S]

Takes jobs off a Redis queue (redis://HOST:PORT[/DB]) and runs them until stopped
(SIGTERM or SIGINT: the job in hand is finished first): batches of an oracle
campaign ('oracle --random N --queue URL': boots its own qemu guests) and parts of
an exploration ('explore --queue URL': holds the key set of one partition).
  --concurrency N   oracle batches at once (1..64, default 1)
  --jobs N          qemu guests per batch (1..64, default 1)
  --lock-seconds S  a job whose worker has not renewed its lock for S seconds is
                    given to another worker (1..3600, default 120: a worker starved of
                    CPU renews late, and a job taken from a live worker runs twice)
exit: 0 stopped, 2 bad usage`;

function intIn(v: unknown, name: string, lo: number, hi: number, dflt: number): number | string {
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : `--${name} wants an integer ${lo}..${hi}, not '${String(v)}'`;
}

export const command: Command = {
  name: 'worker',
  summary: 'take oracle batches and exploration parts off a Redis queue (--queue URL)',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, {
      queue: { type: 'string' }, concurrency: { type: 'string' }, jobs: { type: 'string' }, 'lock-seconds': { type: 'string' },
    }, false);
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const v = a.value.values;
    if (v.queue === undefined) return reportError(io, rfError('usage', 'no --queue URL given'), undefined, USAGE);
    const c = parseQueueUrl(String(v.queue));
    if (!c.ok) return reportError(io, c.error, undefined, USAGE);
    const concurrency = intIn(v.concurrency, 'concurrency', 1, 64, 1);
    const jobs = intIn(v.jobs, 'jobs', 1, 64, 1);
    const lock = intIn(v['lock-seconds'], 'lock-seconds', 1, 3600, 120);
    for (const x of [concurrency, jobs, lock]) if (typeof x === 'string') return reportError(io, rfError('usage', x), undefined, USAGE);
    const guest = guestFromEnv();
    if (!guest.ok) return reportError(io, guest.error);
    const log = (l: string) => io.err(l);
    // Before any key is written: parts of one search in different processes must number texts alike.
    useHashedTextNumbers();
    const lockMs = (lock as number) * 1000;
    const workers = [
      oracleWorker(c.value, { jobs: jobs as number, log, guest: guest.value }, { concurrency: concurrency as number, lockMs, log }),
      exploreWorker(c.value, { lockMs, log }),
    ];
    for (const w of workers) w.on('error', (e) => log(`worker: ${e.message}`));
    io.err(`worker ${process.pid}: waiting for jobs on ${c.value.host}:${c.value.port}`);
    await new Promise<void>((res) => {
      const stop = () => res();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await Promise.all(workers.map((w) => w.close()));
    return EXIT.OK;
  },
};
