// `ringfence fuzz`: model-based testing for as long as asked. Random call sequences
// run on the simulated kernel and the reference model side by side; a disagreement
// or a broken invariant is shrunk and printed (or written) as a v1 trace.

import { writeFileSync } from 'node:fs';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, intOption, kernelOption, MAX_SECONDS, SEED_RANGE, stringOption } from '../options.ts';
import { progress } from '../progress.ts';
import { getProfile, PROFILE_NAMES, type KernelProfile } from '../../../model/profile/profiles.ts';
import { loadFacade } from '../../explore/facade.ts';
import { fuzzOnce, makeSides } from '../../explore/fuzz.ts';

/** The longest sequence: 500 commands take about a second per run (shrinking more), so more than that cannot fit the time a run is given. */
export const MAX_COMMANDS = 500;

export const command = defineCommand({
  name: 'fuzz',
  summary: 'random call sequences, kernel model against the reference model, for as long as asked',
  positionals: { min: 0, max: 0 },
  about: `Runs random call sequences (tasks, forks, rings, legacy restrictions, filters,
SQEs with links) on the simulated kernel and on the independent reference model,
comparing every record and checking the kernel's invariants after every command.
A failure is shrunk to a short sequence and printed as a v1 trace.`,
  options: {
    seconds: intOption('how long to run', { arg: 'N', min: 0, max: MAX_SECONDS, default: 10 }),
    seed: intOption('fast-check seed (default: random; printed so a run can be repeated)', { arg: 'S', ...SEED_RANGE }),
    kernel: kernelOption('kernel profiles, or all (default all: the profiles take turns)', { list: true, all: true, aliases: ['profile'] }),
    'max-commands': intOption('longest sequence', { arg: 'N', min: 1, max: MAX_COMMANDS, default: 40 }),
    out: stringOption('write the counterexample trace there instead of printing it', { arg: 'FILE', complete: 'file' }),
    json: flagOption('one JSON object: {"kernels", "seed", "sequences", "seconds", "failure"?: {"kernel", "message", "seed", "trace"}}'),
  },
  exit: '0 no disagreement, 1 a disagreement or broken invariant (its trace printed), 2 bad usage',
  async run({ opts: v }, io) {
    const seconds = v.seconds;
    const maxCommands = v['max-commands'];
    const seed = v.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
    const profiles: KernelProfile[] = (v.kernel ?? PROFILE_NAMES).map((n) => getProfile(n)!);
    const parts = await loadFacade();
    if (!parts.ok) return reportError(io, parts.error);
    const sides = new Map(profiles.map((p) => [p.name, makeSides(parts.value, p)]));
    if (!v.json) io.out(`fuzzing ${profiles.map((p) => p.name).join(', ')} for ${seconds} s, seed ${seed}`);
    const bar = progress(io, v.json);
    const t0 = Date.now();
    let runs = 0, rounds = 0;
    // Short slices per profile so every profile gets time; each slice has its own seed.
    while (Date.now() - t0 < seconds * 1000 || rounds === 0) {
      const p = profiles[rounds % profiles.length];
      const left = seconds * 1000 - (Date.now() - t0);
      const r = fuzzOnce(sides.get(p.name)!, p, { numRuns: 1_000_000, maxCommands, seed: seed + rounds, timeLimitMs: Math.max(100, Math.min(2000, left)) });
      runs += r.runs;
      rounds++;
      bar.update(`fuzz: ${runs.toLocaleString('en-US')} sequences, ${((Date.now() - t0) / 1000).toFixed(0)}/${seconds} s, last ${p.name}`);
      if (!r.ok) {
        bar.done();
        const again = `ringfence fuzz --kernel ${p.name} --seed ${r.seed} --max-commands ${maxCommands}`;
        if (v.out) writeFileSync(v.out, r.trace);
        if (v.json) {
          io.out(JSON.stringify({ kernels: profiles.map((x) => x.name), seed, sequences: runs, seconds: (Date.now() - t0) / 1000,
            failure: { kernel: p.name, message: r.error, seed: r.seed, reproduce: again, ...(v.out ? { file: v.out } : { trace: r.trace }) } }));
          return EXIT.FAILED;
        }
        io.out(`profile ${p.name}: ${r.error}`);
        io.out(`(reproduce with: ${again})`);
        if (v.out) io.out(`wrote ${v.out}`);
        else io.out(r.trace);
        return EXIT.FAILED;
      }
      if (Date.now() - t0 >= seconds * 1000) break;
    }
    bar.done();
    if (v.json) {
      io.out(JSON.stringify({ kernels: profiles.map((x) => x.name), seed, sequences: runs, seconds: (Date.now() - t0) / 1000 }));
      return EXIT.OK;
    }
    io.out(`${runs.toLocaleString('en-US')} sequences, no disagreement and no broken invariant (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return EXIT.OK;
  },
});
