// `ringfence policy FILE`: what a task (for the rings it will create) or a ring may
// still do, per opcode, at a point of a trace.

import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { formatError, rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, getProfile, PROFILE_NAMES } from '../../../model/profile/profiles.ts';
import { parseTraceFile } from '../../trace/parse.ts';
import { holderAt } from '../../explore/policy/holder.ts';
import { holderPolicy, type OpcodePolicy } from '../../explore/policy/policy.ts';

const USAGE = `usage: ringfence policy FILE [--task T | --ring R [--task T]] [--at STEP] [--trace NAME] [--profile P] [--json]

Says, for every opcode, whether a request is always allowed, always denied, or
allowed on conditions, and for a conditional opcode the conditions on the filter
context's fields, from the legacy restrictions and a symbolic analysis of the whole
filter chain. It also says which stacked filter decides.

  --task T      the task (default init); its policy is what rings it creates get
  --ring R      the ring named R in the task's fd table
  --at STEP     after command STEP (the record's "i", from 0); default: the end
  --trace NAME  which trace of the file (default: the first)
  --profile P   kernel profile (default: the trace's first kernel, else ${DEFAULT_PROFILE})
  --all         list every opcode, not only the interesting ones
  --json        print the analysis as JSON`;

export const command: Command = {
  name: 'policy',
  summary: 'what a task or ring may still do: per opcode allowed, denied, or on which conditions',
  usage: USAGE,
  run(argv, io) {
    const a = parseCommandArgs(argv, {
      task: { type: 'string' }, ring: { type: 'string' }, at: { type: 'string' }, trace: { type: 'string' },
      profile: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' },
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const v = a.value.values;
    const usage = (m: string) => reportError(io, rfError('usage', m), undefined, USAGE);
    if (a.value.positionals.length !== 1) return usage('policy wants exactly one trace FILE');
    const file = a.value.positionals[0];
    const src = io.readFile(file);
    if (!src.ok) return reportError(io, src.error);
    const parsed = parseTraceFile(file, src.value);
    if (!parsed.ok) {
      for (const e of parsed.error) io.err(formatError(e, src.value));
      return EXIT.USAGE;
    }
    const traces = parsed.value.traces;
    const trace = v.trace === undefined ? traces[0] : traces.find((t) => t.name === v.trace);
    if (!trace) return usage(v.trace === undefined ? `${file} holds no trace` : `no trace '${String(v.trace)}' in ${file} (it has: ${traces.map((t) => t.name).join(', ')})`);
    const pname = (v.profile as string | undefined) ?? trace.kernels?.[0] ?? DEFAULT_PROFILE;
    const profile = getProfile(pname);
    if (!profile) return usage(`--profile: unknown profile '${pname}' (known: ${PROFILE_NAMES.join(', ')})`);
    let at: number | undefined;
    if (v.at !== undefined) {
      at = Number(v.at);
      if (!Number.isInteger(at)) return usage(`--at wants a command index (an integer), got '${String(v.at)}'`);
    }
    const h = holderAt(trace, profile, { task: (v.task as string | undefined) ?? 'init', ring: v.ring as string | undefined }, at);
    if (!h.ok) return reportError(io, h.error, undefined, USAGE);
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
};
