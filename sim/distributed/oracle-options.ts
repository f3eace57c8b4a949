// The options `ringfence oracle --random` takes to run apart (--shard, --queue,
// --batch), kept together so the command's own option list grows by one line, and
// the choice between the local run, a static slice and the queue.

import { rfError } from '../../model/errors.ts';
import { reportError } from '../cli/command.ts';
import type { Io } from '../cli/io.ts';
import type { RunOptions } from '../oracle/run.ts';
import type { CampaignSpec } from './campaign.ts';
import { guestFromEnv } from './fake-guest.ts';
import { oracleLocal, oracleQueue, oracleSlice } from './oracle.ts';
import { parseQueueUrl } from './queue.ts';
import { parseShard } from './shard.ts';

export const DISTRIBUTED_ORACLE_OPTIONS = {
  shard: { type: 'string' }, queue: { type: 'string' }, batch: { type: 'string' },
} as const;

export async function randomCampaign(io: Io, spec: CampaignSpec, ro: RunOptions, v: Record<string, unknown>, usage: string): Promise<number> {
  const guest = guestFromEnv();
  if (!guest.ok) return reportError(io, guest.error);
  const run: RunOptions = { ...ro, guest: guest.value };
  const shard = parseShard(v.shard as string | undefined);
  if (!shard.ok) return reportError(io, shard.error, undefined, usage);
  const batch = v.batch === undefined ? 100 : Number(v.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) return reportError(io, rfError('usage', `--batch wants an integer 1..10000, not '${String(v.batch)}'`), undefined, usage);
  if (v.queue !== undefined) {
    if (v.shard !== undefined) return reportError(io, rfError('usage', '--shard and --queue do not go together (a queue shares the work out itself)'), undefined, usage);
    const c = parseQueueUrl(String(v.queue));
    if (!c.ok) return reportError(io, c.error, undefined, usage);
    return oracleQueue(io, spec, run, c.value, batch, Boolean(v.json));
  }
  if (shard.value) return oracleSlice(io, spec, shard.value, run, Boolean(v.json));
  return oracleLocal(io, spec, run, Boolean(v.json));
}
