// ringfence/testing's arbitraries and replayProperty, checked against statements of
// their own: traces parse back from their printed form and replay; a failing
// property's counterexample prints as trace text that fails again when replayed;
// contexts carry the opcode and pdu_size the kernel fills in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contexts, programs, replayProperty, traces } from '../../sim/api/testing.ts';
import { parseTraces, replay } from '../../sim/api/index.ts';
import { validate } from '../../sim/api/bpf.ts';
import { findField } from '../../model/bpf/context.ts';
import { getProfile, pduSizeFor } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { formatTrace } from '../../sim/trace/print.ts';

describe('ringfence/testing', () => {
  it('traces print as text that parses back to the same trace', () => {
    fc.assert(fc.property(traces({ profile: '7.2', maxCommands: 8 }), (t) => {
      expect(t.commands.length).toBeLessThanOrEqual(8);
      const again = parseTraces(fc.stringify(t));
      expect(again.ok).toBe(true);
      if (again.ok) {
        expect(formatTrace(again.value.traces[0])).toBe(fc.stringify(t));
        expect(again.value.traces[0].commands.length).toBe(t.commands.length);
      }
    }), { numRuns: 30 });
  });

  it('a failing replayProperty reports a trace that fails again when replayed', () => {
    // "no SQE is ever submitted" is false: some generated trace submits one.
    const submitted = (r: ReturnType<typeof replay>) => !r.records.some((x) => x.c === 'submit' && (x.ret ?? 0) > 0);
    const out = fc.check(replayProperty(traces({ maxCommands: 12 }), submitted), { numRuns: 300, seed: 7 });
    expect(out.failed).toBe(true);
    const text = fc.stringify(out.counterexample![0]);
    expect(text).toMatch(/^trace generated/m);
    const again = parseTraces(text);
    if (!again.ok) throw new Error(again.error[0].message);
    expect(submitted(replay(again.value.traces[0], '7.3'))).toBe(false);
  });

  it('programs are accepted by the kernel checks', () => {
    fc.assert(fc.property(programs(), (insns) => validate(insns, '7.3').ok), { numRuns: 200 });
  });

  it('contexts carry the opcode and its pdu_size', () => {
    const p = getProfile('7.3')!;
    const op = findField(p.ctx, 'opcode')!;
    const pdu = findField(p.ctx, 'pdu_size')!;
    fc.assert(fc.property(contexts('7.3', { opcode: OP.SOCKET }), (ctx) => {
      const bytes = new Uint8Array(ctx.buffer, ctx.byteOffset, ctx.byteLength);
      expect(ctx.length).toBe(p.ctx.size / 4);
      expect(bytes[op.offset]).toBe(OP.SOCKET);
      expect(bytes[pdu.offset]).toBe(pduSizeFor(p, OP.SOCKET));
    }), { numRuns: 50 });
  });
});
