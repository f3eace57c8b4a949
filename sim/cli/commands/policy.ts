// `ringfence policy FILE`: what a task (for the rings it will create) or a ring may
// still do, per opcode, at a point of a trace.

import { EXIT, reportError } from '../command.ts';
import { DEFAULT_PROFILE, getProfile } from '../../../model/profile/profiles.ts';
import { defineCommand, flagOption, intOption, kernelOption, MAX_STEP, stringOption } from '../options.ts';
import { loadTraceArgs, pickTraces } from '../traces.ts';
import { defaultProfile } from '../../trace/profiles.ts';
import { holderAt } from '../../explore/policy/holder.ts';
import { holderPolicy, type OpcodePolicy } from '../../explore/policy/policy.ts';

export const command = defineCommand({
  name: 'policy',
  summary: 'what a task or ring may still do: per opcode allowed, denied, or on which conditions',
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'trace file' },
  synopsis: ['FILE [--task T | --ring R [--task T]] [--at STEP] [--trace NAME] [--kernel P] [--all] [--json]'],
  about: `Says, for every opcode, whether a request is always allowed, always denied, or
allowed on conditions, and for a conditional opcode the conditions on the filter
context's fields, from the legacy restrictions and a symbolic analysis of the whole
filter chain. It also says which stacked filter decides.`,
  options: {
    task: stringOption('the task; its policy is what rings it creates get', { arg: 'T', default: 'init' }),
    ring: stringOption('the ring named R in the task\'s fd table', { arg: 'R' }),
    at: intOption('after command STEP (the record\'s "i", from 0); default: the end', { arg: 'STEP', min: 0, max: MAX_STEP }),
    trace: stringOption('which trace of the file (default: the first)', { arg: 'NAME' }),
    kernel: kernelOption(`kernel profile (default ${DEFAULT_PROFILE}, or the newest in the trace's kernels= list)`, { aliases: ['profile'] }),
    all: flagOption('list every opcode, not only the interesting ones'),
    json: flagOption('print the analysis as JSON'),
  },
  exit: '0 printed, 2 bad usage or input',
  run({ opts: v, args }, io, cx) {
    const loaded = loadTraceArgs(io, args, cx.help);
    if (typeof loaded === 'number') return loaded;
    if (loaded.failures.length) return EXIT.USAGE;
    const picked = pickTraces(io, loaded.files, v.trace);
    if (typeof picked === 'number') return picked;
    const trace = picked[0].trace;
    const profile = getProfile(v.kernel ?? defaultProfile(trace))!;
    const at = v.at;
    const h = holderAt(trace, profile, { task: v.task, ring: v.ring }, at);
    if (!h.ok) return reportError(io, h.error, undefined, cx.help);
    const ops = holderPolicy(profile, h.value.policy);
    if (v.json) {
      io.out(JSON.stringify({ trace: trace.name, profile: profile.name, holder: h.value.description, notes: h.value.notes, opcodes: ops }));
      return EXIT.OK;
    }
    io.out(`policy of ${h.value.description}, profile ${profile.name}`);
    for (const n of h.value.notes) io.out(`  note: ${n}`);
    const group = (verdict: OpcodePolicy['verdict']) => ops.filter((o) => o.verdict === verdict);
    const byReason = (list: OpcodePolicy[]) => {
      const m = new Map<string, string[]>();
      for (const o of list) m.set(o.reason, [...(m.get(o.reason) ?? []), o.name]);
      return m;
    };
    const cond = group('conditional');
    io.out(`\nallowed on conditions (${cond.length}):`);
    for (const o of cond) {
      io.out(`  ${o.name}: allowed iff ${o.condition}${o.approximate ? '  (approximate: part of the program is not expressed on fields)' : ''}`);
      io.out(`    ${o.reason}`);
      for (const f of o.filters) io.out(`    filter #${f.index}${f.index === 1 ? ' (newest, runs first)' : ''} ${f.name}: ${f.verdict === 'conditional' ? `allows iff ${f.allowsIf}` : f.verdict === 'allow' ? 'allows all' : 'denies all'}`);
    }
    const list = (names: string[]) => (names.length > 12 && !v.all ? `${names.slice(0, 12).join(' ')} ... (${names.length})` : names.join(' '));
    for (const [verdict, title] of [['allow', 'always allowed'], ['deny', 'always denied']] as const) {
      const g = group(verdict);
      io.out(`\n${title} (${g.length}):`);
      for (const [reason, names] of byReason(g)) io.out(`  ${reason}: ${list(names)}`);
    }
    return EXIT.OK;
  },
});
