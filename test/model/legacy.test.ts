// Legacy restrictions: io_parse_restrictions (kernel-semantics.md §2.2.1) and the
// SQE check (§6.2), the latter against an independent statement of the rule.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRestrictions, sqeAllowed, registerAllowed, IORING_MAX_RESTRICTIONS, type LegacyPolicy } from '../../model/restriction/legacy.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { REG } from '../../model/abi/register.ts';

const R = RESTRICTION;
const e = (type: number, value: number) => ({ type, value });

describe('parseRestrictions (§2.2.1)', () => {
  const cases: [string, { type: number; value: number }[], number | Partial<LegacyPolicy>][] = [
    ['nr == 0 registers both classes', [], { opRegistered: true, regRegistered: true }],
    ['register ops only leave SQEs unrestricted (§8.14)', [e(R.REGISTER_OP, REG.PROBE)], { opRegistered: false, regRegistered: true }],
    ['sqe ops only leave register ops unrestricted', [e(R.SQE_OP, OP.NOP)], { opRegistered: true, regRegistered: false }],
    ['flags-only entries register the SQE class', [e(R.SQE_FLAGS_ALLOWED, 0x10)], { opRegistered: true, regRegistered: false, flagsAllowed: 0x10 }],
    ['flag masks overwrite: the last one wins (§8.15)', [e(R.SQE_FLAGS_ALLOWED, 1), e(R.SQE_FLAGS_ALLOWED, 4), e(R.SQE_FLAGS_REQUIRED, 2), e(R.SQE_FLAGS_REQUIRED, 8)], { flagsAllowed: 4, flagsRequired: 8 }],
    ['register_op >= 38 is -EINVAL', [e(R.REGISTER_OP, 38)], -22],
    ['sqe_op >= 65 is -EINVAL', [e(R.SQE_OP, 65)], -22],
    ['an unknown restriction opcode is -EINVAL', [e(4, 0)], -22],
    ['an error after good entries is still -EINVAL', [e(R.SQE_OP, OP.NOP), e(9, 0)], -22],
  ];
  for (const [name, entries, want] of cases) {
    it(name, () => {
      const p = parseRestrictions(entries);
      if (typeof want === 'number') expect(p).toBe(want);
      else expect(p).toMatchObject(want);
    });
  }
  it('more than IORING_MAX_RESTRICTIONS (107) entries is -EINVAL', () => {
    expect(IORING_MAX_RESTRICTIONS).toBe(107);
    expect(parseRestrictions(new Array(108).fill(e(R.SQE_OP, 0)))).toBe(-22);
    expect(typeof parseRestrictions(new Array(107).fill(e(R.SQE_OP, 0)))).toBe('object');
  });
  it('bits accumulate', () => {
    const p = parseRestrictions([e(R.SQE_OP, OP.NOP), e(R.SQE_OP, OP.SOCKET), e(R.REGISTER_OP, REG.PROBE), e(R.REGISTER_OP, REG.ENABLE_RINGS)]) as LegacyPolicy;
    expect(sqeAllowed(p, OP.NOP, 0) && sqeAllowed(p, OP.SOCKET, 0)).toBe(true);
    expect(sqeAllowed(p, OP.READ, 0)).toBe(false);
    expect(registerAllowed(p, REG.PROBE) && registerAllowed(p, REG.ENABLE_RINGS)).toBe(true);
    expect(registerAllowed(p, REG.BPF_FILTER)).toBe(false);
  });
});

describe('sqeAllowed (§6.2)', () => {
  it('allows exactly: the opcode listed, every required flag present, nothing outside allowed|required', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(64), { maxLength: 6 }), fc.nat(0x7f), fc.nat(0x7f), fc.nat(64), fc.nat(0x7f), (ops, allowed, required, op, flags) => {
        const p = parseRestrictions([...ops.map((o) => e(R.SQE_OP, o)), e(R.SQE_FLAGS_ALLOWED, allowed), e(R.SQE_FLAGS_REQUIRED, required)]) as LegacyPolicy;
        // Independent statement, flag by flag.
        let want = ops.includes(op);
        for (let bit = 1; bit < 0x80; bit <<= 1) {
          if (required & bit && !(flags & bit)) want = false;
          if (flags & bit && !(allowed & bit) && !(required & bit)) want = false;
        }
        expect(sqeAllowed(p, op, flags)).toBe(want);
      }),
      { numRuns: 300 },
    );
  });
});
