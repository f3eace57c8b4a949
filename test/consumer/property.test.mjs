// A user's own property test with ringfence/testing, run with plain node from the
// installed package: fast-check drives it, and a failure exits non-zero.
import fc from 'fast-check';
import { traces, replayProperty, programs, contexts, kernelModel } from 'ringfence/testing';
import { validate, runFilter } from 'ringfence/bpf';

// Whatever a task does to its rings and filters, the kernel model's invariants hold.
fc.assert(replayProperty(traces({ profile: '7.3', maxCommands: 10 })), { numRuns: 40 });

// A filter's verdict on a context is a function of the context: running twice agrees.
fc.assert(fc.property(programs(), contexts('7.3'), (insns, ctx) => {
  const v = validate(insns, '7.3');
  return v.ok && runFilter(v.program, ctx) === runFilter(v.program, ctx);
}), { numRuns: 100 });

// Model-based: the kernel model and the reference model agree on random call sequences.
const m = kernelModel('7.2', { maxCommands: 8 });
fc.assert(fc.property(m.commands, (cmds) => m.run(cmds)), { numRuns: 20 });
console.log('user property tests passed');
