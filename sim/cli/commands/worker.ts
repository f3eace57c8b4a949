// `ringfence worker --queue URL`: a process that takes jobs off the queue (oracle
// batches, exploration parts) until it is stopped. Run any number, on any machine
// that reaches the Redis server.

import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, intOption, stringOption } from '../options.ts';
import { guestFromEnv } from '../../distributed/fake-guest.ts';
import { oracleWorker } from '../../distributed/oracle.ts';
import { exploreWorker, useHashedTextNumbers } from '../../distributed/explore.ts';
import { parseQueueUrl } from '../../distributed/queue.ts';

export const command = defineCommand({
  name: 'worker',
  summary: 'take oracle batches and exploration parts off a Redis queue (--queue URL)',
  positionals: { min: 0, max: 0 },
  about: `Takes jobs off a Redis queue (redis://HOST:PORT[/DB]) and runs them until stopped
(SIGTERM or SIGINT: the job in hand is finished first, and a second signal stops
without waiting for it): batches of an oracle
campaign ('oracle --random N --queue URL': boots its own qemu guests) and parts of
an exploration ('explore --queue URL': holds the key set of one partition).`,
  options: {
    queue: stringOption('the Redis queue to take jobs from (redis://HOST:PORT[/DB]); required', { arg: 'URL' }),
    concurrency: intOption('oracle batches at once', { arg: 'N', min: 1, max: 64, default: 1 }),
    jobs: intOption('qemu guests per batch', { arg: 'N', min: 1, max: 64, default: 1 }),
    'lock-seconds': intOption(`a job whose worker has not renewed its lock for S seconds is
given to another worker (default 120: a worker starved of CPU renews
late, and a job taken from a live worker runs twice)`, { arg: 'S', min: 1, max: 3600, default: 120 }),
    json: flagOption('errors as JSON objects on standard output (a worker prints no results; its log goes to standard error)'),
  },
  exit: '0 stopped, 2 bad usage',
  async run({ opts: v }, io, cx) {
    if (v.queue === undefined) return cx.usage('no --queue URL given');
    const c = parseQueueUrl(v.queue);
    if (!c.ok) return reportError(io, c.error, undefined, cx.help);
    const concurrency = v.concurrency;
    const jobs = v.jobs;
    const lock = v['lock-seconds'];
    const guest = guestFromEnv();
    if (!guest.ok) return reportError(io, guest.error);
    const log = (l: string) => io.err(l);
    // Before any key is written: parts of one search in different processes must number texts alike.
    useHashedTextNumbers();
    const lockMs = lock * 1000;
    const workers = [
      oracleWorker(c.value, { jobs, log, guest: guest.value }, { concurrency, lockMs, log }),
      exploreWorker(c.value, { lockMs, log }),
    ];
    // Jobs in hand, so that a stop knows whether there is anything to finish.
    let inHand = 0;
    const done = () => { inHand = Math.max(0, inHand - 1); };
    for (const w of workers) {
      w.on('error', (e) => log(`worker: ${e.message}`));
      w.on('active', () => { inHand++; });
      w.on('completed', done);
      w.on('failed', done);
    }
    // Listening before saying so: a signal sent on that line must find the handler.
    const signals = signalCounter();
    io.err(`worker ${process.pid}: waiting for jobs on ${c.value.host}:${c.value.port}`);
    await signals.at(1);
    // Nothing in hand: close at once. (A graceful close waits on Redis, and while Redis
    // cannot be reached it waited for ever.)
    if (inHand === 0) {
      await Promise.all(workers.map((w) => w.close(true)));
      return EXIT.OK;
    }
    // A job in hand is finished first, unless a second signal says not to wait.
    const again = signals.at(2).then(() => false);
    io.err(`worker ${process.pid}: stopping once the ${inHand === 1 ? 'job' : `${inHand} jobs`} in hand ${inHand === 1 ? 'is' : 'are'} finished (SIGTERM or SIGINT again: stop now)`);
    const finished = Promise.all(workers.map((w) => w.close())).then(() => true);
    if (await Promise.race([finished, again])) return EXIT.OK;
    io.err(`worker ${process.pid}: stopped without finishing the job in hand (its lock runs out and another worker runs it again)`);
    // The graceful close is still pending and holds connections open; nothing else is left to do.
    process.exit(EXIT.OK);
  },
});

/**
 * SIGTERM and SIGINT from now on, counted: at(n) resolves once n have come. The
 * handlers stay for good: a signal that came between two waits would otherwise meet
 * Node's default, which kills the process. (Node's signal handles do not keep it alive.)
 */
function signalCounter(): { at(n: number): Promise<void> } {
  let count = 0;
  let waiting: { n: number; res: () => void }[] = [];
  const on = () => {
    count++;
    const due = waiting.filter((w) => count >= w.n);
    waiting = waiting.filter((w) => count < w.n);
    for (const w of due) w.res();
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return { at: (n) => new Promise((res) => { if (count >= n) res(); else waiting.push({ n, res }); }) };
}
