// `ringfence merge FILE...`: the outputs of static slices (`--shard I/N`) combined
// into exactly what one run of the whole work prints.

import { rfError } from '../../../model/errors.ts';
import { reportError } from '../command.ts';
import { defineCommand, flagOption } from '../options.ts';
import { mergeOracleSlices, type OracleSliceFile } from '../../distributed/oracle.ts';
import { mergeSwarm, type SwarmSliceFile } from '../../distributed/swarm.ts';

export const command = defineCommand({
  name: 'merge',
  summary: 'combine the outputs of --shard slices into what one run prints',
  args: 'FILE...',
  positionals: { min: 1, name: 'slice file' },
  about: `Combines the files that slices of one piece of work wrote ('oracle --random N
--shard I/N --out DIR': DIR/oracle-slice-I-of-N.json; 'explore --swarm --shard I/N
--out DIR': DIR/swarm-slice-I-of-N.json) and prints what one run of the whole work
prints (shrunk oracle mismatches are written where that run would write them).
Every slice must be there: a trace with no outcome, or two outcomes that differ, is
an error.`,
  options: {
    json: flagOption('print what the whole work prints with --json (errors as JSON objects too)'),
  },
  exit: '0 no difference or violation, 1 one found, 2 bad usage or input',
  run({ args: paths, opts }, io) {
    const files: { path: string; data: { format?: unknown } }[] = [];
    for (const path of paths) {
      const t = io.readFile(path);
      if (!t.ok) return reportError(io, t.error);
      try {
        files.push({ path, data: JSON.parse(t.value) });
      } catch (e) {
        return reportError(io, rfError('syntax', `${path}: not JSON: ${(e as Error).message}`));
      }
    }
    const format = files[0].data?.format;
    for (const f of files) {
      if (f.data?.format !== format) return reportError(io, rfError('invalid', `${f.path}: format ${JSON.stringify(f.data?.format)}, expected ${JSON.stringify(format)} as in ${paths[0]}`));
    }
    if (format === 'ringfence-oracle-slice/1') return mergeOracleSlices(io, files as { path: string; data: OracleSliceFile }[], opts.json);
    if (format === 'ringfence-swarm-slice/1') return mergeSwarm(io, files as { path: string; data: SwarmSliceFile }[], opts.json);
    return reportError(io, rfError('invalid', `${paths[0]}: not a slice file ringfence wrote (format ${JSON.stringify(format)})`));
  },
});
