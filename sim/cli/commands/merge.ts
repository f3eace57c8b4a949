// `ringfence merge FILE...`: the outputs of static slices (`--shard I/N`) combined
// into exactly what one run of the whole work prints.

import { rfError } from '../../../model/errors.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { withJsonErrors } from '../options.ts';
import { mergeOracleSlices, type OracleSliceFile } from '../../distributed/oracle.ts';
import { mergeSwarm, type SwarmSliceFile } from '../../distributed/swarm.ts';

const USAGE = `usage: ringfence merge [--json] FILE...

Combines the files that slices of one piece of work wrote ('oracle --random N
--shard I/N --out DIR': DIR/oracle-slice-I-of-N.json; 'explore --swarm --shard I/N
--out DIR': DIR/swarm-slice-I-of-N.json) and prints what one run of the whole work
prints (shrunk oracle mismatches are written where that run would write them).
Every slice must be there: a trace with no outcome, or two outcomes that differ, is
an error. --json prints what the whole work prints with --json.
exit: 0 no difference or violation, 1 one found, 2 bad usage or input`;

export const command: Command = {
  name: 'merge',
  summary: 'combine the outputs of --shard slices into what one run prints',
  usage: USAGE,
  run(argv, io0) {
    const a = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (!a.ok) return reportError(io0, a.error, undefined, USAGE);
    const json = a.value.values.json === true;
    const io = json ? withJsonErrors(io0) : io0;
    const paths = a.value.positionals;
    if (!paths.length) return reportError(io, rfError('usage', 'no slice file given'), undefined, USAGE);
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
    if (format === 'ringfence-oracle-slice/1') return mergeOracleSlices(io, files as { path: string; data: OracleSliceFile }[], json);
    if (format === 'ringfence-swarm-slice/1') return mergeSwarm(io, files as { path: string; data: SwarmSliceFile }[], json);
    return reportError(io, rfError('invalid', `${paths[0]}: not a slice file ringfence wrote (format ${JSON.stringify(format)})`));
  },
};
