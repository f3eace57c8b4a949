// A TypeScript user of the installed package: tsc --noEmit must accept this file, and
// the @ts-expect-error lines prove the types are exact (an `any` would let them pass).
import fc from 'fast-check';
import { parseTraces, replay, replayPassed, compareWithRecording, parseRecords, SCENARIOS_DIR, type ReplayResult, type TraceFile, type Result, type RfError } from 'ringfence';
import { assemble, validate, requestContext, runFilter, type Insn, type Verdict } from 'ringfence/bpf';
import { createKernel, INIT_PID, OP, SETUP_FLAGS, blankSqe, type Kernel, type Cqe, type RestrictionEntry } from 'ringfence/kernel';
import { policyOf, type OpcodePolicy } from 'ringfence/policy';
import { traces, programs, contexts, replayProperty, kernelModel } from 'ringfence/testing';

const file: Result<TraceFile, RfError[]> = parseTraces('trace t\n  ring r => 0\nend\n');
if (file.ok) {
  const r: ReplayResult = replay(file.value.traces[0], '7.3');
  const passed: boolean = replayPassed(r);
  // @ts-expect-error an unknown profile name is a type error
  replay(file.value.traces[0], '9.9');
  const p = policyOf(file.value.traces[0], '7.2', { task: 'init' });
  if (p.ok) { const ops: OpcodePolicy[] = p.value.opcodes; void ops; }
  const recorded = parseRecords('x.jsonl', '');
  if (recorded.ok) void compareWithRecording(file.value, '7.3', recorded.value);
  void passed;
}
const dir: string = SCENARIOS_DIR;

const prog = assemble('ret #1');
if (prog.ok) {
  const insns: Insn[] = prog.value;
  const v: Verdict = validate(insns, '7.3');
  // @ts-expect-error a verdict's errno exists only on a refusal
  void v.errno;
  const ctx = requestContext('7.3', 'SOCKET', { 'socket.family': 2n });
  if (v.ok && ctx.ok) { const ret: number = runFilter(v.program, ctx.value); void ret; }
}

const k: Kernel = createKernel('7.3');
const fd: number = k.setup(INIT_PID, 8, SETUP_FLAGS.R_DISABLED);
const entries: RestrictionEntry[] = [{ type: 1, value: OP.NOP }];
k.registerRestrictions(INIT_PID, fd, entries);
k.queueSqe(INIT_PID, fd, blankSqe(OP.NOP, 1n));
const cqes: Cqe[] | number = k.reapCqes(INIT_PID, fd);
// @ts-expect-error a CQE's user_data is a bigint
const wrong: number = typeof cqes === 'number' ? 0 : cqes[0].userData;

fc.assert(replayProperty(traces({ profile: '7.1' }), (r) => r.violation === undefined), { numRuns: 1 });
fc.assert(fc.property(programs(), contexts('7.3'), (insns: Insn[], ctx: Uint32Array) => insns.length > 0 && ctx.length > 0), { numRuns: 1 });
const m = kernelModel('7.3');
fc.assert(fc.property(m.commands, (cmds) => m.run(cmds)), { numRuns: 1 });
void dir; void wrong;
