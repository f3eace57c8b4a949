// The restrict-only check (sim/check/probe.ts) looks only at what changed between
// two policies and remembers verdicts per chain and program. Here it is held to the
// rule evaluated from scratch: the probes `now` allows and `before` did not.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import { REG } from '../../model/abi/register.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { validate } from '../../model/bpf/validate.ts';
import { assemble } from '../../model/bpf/assemble.ts';
import { EMPTY_STORE, allocTable, pushFilter, type FilterStore } from '../../model/filter/table.ts';
import { parseRestrictions, type LegacyPolicy } from '../../model/restriction/legacy.ts';
import { allowedProbes, grownPolicy, type HolderPolicy } from '../../sim/check/probe.ts';

const profile = getProfile('7.3')!;
const program = (text: string) => {
  const a = assemble(text);
  if (!a.ok) throw new Error(a.error.message);
  const v = validate(a.value, profile);
  if (!v.ok) throw new Error(v.message);
  return v.program;
};
const PROGRAMS = [
  program('ret #1'),
  program('ret #0'),
  program('ld [socket.family]\njeq #AF_UNIX, keep, drop\nkeep: ret #1\ndrop: ret #0'),
  program('ld [socket.family]\njeq #AF_INET, drop, keep\nkeep: ret #1\ndrop: ret #0'),
];
const OPS = [OP.NOP, OP.SOCKET, OP.READ, OP.OPENAT, 64];

const registration = fc.record({ op: fc.constantFrom(...OPS), prog: fc.nat(PROGRAMS.length - 1), rest: fc.boolean() });
const legacyArb = fc.option(fc.uniqueArray(fc.oneof(
  fc.constantFrom(...OPS).map((value) => ({ type: RESTRICTION.SQE_OP, value })),
  fc.constantFrom(REG.PROBE, REG.BPF_FILTER, REG.ENABLE_RINGS).map((value) => ({ type: RESTRICTION.REGISTER_OP, value })),
), { maxLength: 4, selector: (e) => `${e.type}:${e.value}` }), { nil: null });

/** A table built by registrations (a fresh one, or continuing from `from`). */
function tableOf(regs: { op: number; prog: number; rest: boolean }[], from?: { store: FilterStore; id: number }) {
  let { store, id } = from ?? allocTable(EMPTY_STORE);
  for (const r of regs) store = pushFilter(store, id, r.op, PROGRAMS[r.prog], [], '', r.rest).store;
  return { store, id, slots: store.tables.get(id)!.slots };
}

function legacy(entries: { type: number; value: number }[] | null): LegacyPolicy | null {
  if (entries === null) return null;
  const l = parseRestrictions(entries);
  if (typeof l === 'number') throw new Error(`entries rejected: ${l}`);
  return l;
}

describe('restrict-only probes', () => {
  it('grownPolicy reports exactly the probes now allows and before did not', () => {
    fc.assert(fc.property(
      fc.array(registration, { maxLength: 5 }), fc.array(registration, { maxLength: 4 }),
      fc.constantFrom('fresh', 'continued', 'same', 'none-before', 'none-now'),
      legacyArb, legacyArb, fc.boolean(), fc.boolean(),
      (first, second, how, l1, l2, sameLegacy, regBinds) => {
        const a = tableOf(first);
        const b = how === 'fresh' ? tableOf(second) : how === 'continued' ? tableOf(second, a) : a;
        const la = legacy(l1);
        const lb = sameLegacy ? la : legacy(l2);
        const before: HolderPolicy = { sqeLegacy: la, regLegacy: regBinds ? la : null, slots: how === 'none-before' ? null : a.slots };
        const now: HolderPolicy = { sqeLegacy: lb, regLegacy: regBinds ? lb : null, slots: how === 'none-now' ? null : b.slots };
        const was = allowedProbes(profile, before), is = allowedProbes(profile, now);
        const expected = is.flatMap((ok, i) => (ok && !was[i] ? [i] : []));
        expect(grownPolicy(profile, before, now).sort((x, y) => x - y)).toEqual(expected);
      },
    ), { numRuns: 400, seed: 7 });
  });
});
