// The allowed probe set of a holder (a task's restriction set or a ring): which
// of a fixed family of requests its policy lets through. The family covers every
// opcode with and without ASYNC, with a few payloads for SOCKET/OPENAT/OPENAT2/
// CONNECT, and every register op. Since filters are deterministic functions of
// the context, "the set never grows" is checkable on this family.

import { AF, O, SOCK } from '../../model/abi/net.ts';
import { OP, IORING_OP_LAST } from '../../model/abi/opcodes.ts';
import { IORING_REGISTER_LAST } from '../../model/abi/register.ts';
import { SQE_FLAGS } from '../../model/abi/flags.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import { populateCtx } from '../../model/ctx/populate.ts';
import { DENY, type FilterNode, type Slot, type SlotTable } from '../../model/filter/table.ts';
import { registerAllowed, sqeAllowed, type LegacyPolicy } from '../../model/restriction/legacy.ts';
import type { Sqe } from '../../model/ring/sqe.ts';

const base: Sqe = { opcode: 0, flags: 0, ud: 0n, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n };

interface Probe {
  sqe: Sqe;
  open?: { flags: bigint; mode: bigint; resolve: bigint };
}

function sockaddrIn(port: number, a: number[]): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF.AF_INET;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  b.set(a, 4);
  return b;
}

function buildProbes(): Probe[] {
  const out: Probe[] = [];
  for (let op = 0; op < IORING_OP_LAST; op++) {
    for (const flags of [0, SQE_FLAGS.ASYNC]) {
      const s = { ...base, opcode: op, flags };
      if (op === OP.SOCKET) {
        for (const [fam, type] of [[AF.AF_UNIX, SOCK.SOCK_STREAM], [AF.AF_INET, SOCK.SOCK_STREAM], [AF.AF_INET6, SOCK.SOCK_DGRAM], [AF.AF_INET, SOCK.SOCK_DGRAM | SOCK.SOCK_NONBLOCK]]) {
          out.push({ sqe: { ...s, fd: fam, off: BigInt(type) } });
        }
      } else if (op === OP.OPENAT || op === OP.OPENAT2) {
        out.push({ sqe: s, open: { flags: BigInt(O.O_LARGEFILE), mode: 0n, resolve: 0n } });
        out.push({ sqe: { ...s, flags: flags | SQE_FLAGS.ASYNC }, open: { flags: BigInt(O.O_LARGEFILE | O.O_CREAT | O.O_WRONLY), mode: 0o644n, resolve: 0n } });
      } else if (op === OP.CONNECT) {
        out.push({ sqe: { ...s, off: 16n, sockaddr: sockaddrIn(80, [127, 0, 0, 1]) } });
        out.push({ sqe: { ...s, off: 16n, sockaddr: sockaddrIn(53, [10, 0, 0, 1]) } });
      } else {
        out.push({ sqe: s });
      }
    }
  }
  return out;
}

const PROBES = buildProbes();

export interface HolderPolicy {
  /** The legacy policy when SQEs are restricted by it, else null. */
  sqeLegacy: LegacyPolicy | null;
  /** The legacy policy when register ops are restricted by it, else null. */
  regLegacy: LegacyPolicy | null;
  /** The filter slots that apply, or null. */
  slots: SlotTable | null;
}

/** Probes of each opcode: PROBES[opStart[op] .. opStart[op + 1]). */
const opStart = (() => {
  const at = new Int32Array(IORING_OP_LAST + 1);
  let i = 0;
  for (let op = 0; op <= IORING_OP_LAST; op++) {
    while (i < PROBES.length && PROBES[i].sqe.opcode < op) i++;
    at[op] = i;
  }
  return at;
})();

// Memoised on the policy's parts, which are immutable values shared between many
// worlds: a program's verdicts on an opcode's probes on the program (programs are
// shared by every node that runs them), the SQE part on (slots, SQE legacy policy),
// the register part on its legacy policy. A chain's verdicts are the AND of its
// programs' along the chain (a few nodes): cheaper to walk than to remember per
// node, as the explorer makes a new node at every filter registration.
const sqeParts = new WeakMap<KernelProfile, WeakMap<object, WeakMap<object, Uint8Array>>>();
const regParts = new WeakMap<object, Uint8Array>();
const NONE = {};

/** The most probes any opcode has. */
const MAX_PER_OP = (() => {
  let m = 0;
  for (let op = 0; op < IORING_OP_LAST; op++) m = Math.max(m, opStart[op + 1] - opStart[op]);
  return m;
})();
const scratchBefore = new Uint8Array(MAX_PER_OP);
const scratchNow = new Uint8Array(MAX_PER_OP);

/**
 * 1 in out[j] for each probe j of the opcode that the chain starting at `head` lets
 * through; returns false (out untouched) when there is no chain, which lets all through.
 */
function chainPart(profile: KernelProfile, op: number, head: Slot, out: Uint8Array): boolean {
  if (head === null) return false;
  const n = opStart[op + 1] - opStart[op];
  out.fill(1, 0, n);
  for (let x: Slot = head; x !== null; x = (x as FilterNode).next) {
    if (x === DENY) {
      out.fill(0, 0, n);
      break;
    }
    const own = programPart(profile, op, (x as FilterNode).program);
    for (let j = 0; j < n; j++) out[j] &= own[j];
  }
  return true;
}

/** The WeakMap under key k of a two-level memo, made on first use. */
function innerMap<K extends object, V>(outer: WeakMap<K, WeakMap<object, V>>, k: K): WeakMap<object, V> {
  let m = outer.get(k);
  if (!m) outer.set(k, (m = new WeakMap()));
  return m;
}

/** A program's verdicts on an opcode's probes (programs are shared by every node that runs them). */
const programParts = new WeakMap<KernelProfile, WeakMap<object, Map<number, Uint8Array>>>();
function programPart(profile: KernelProfile, op: number, program: FilterNode['program']): Uint8Array {
  const byProfile = innerMap(programParts, profile);
  let byOp = byProfile.get(program);
  if (!byOp) byProfile.set(program, (byOp = new Map()));
  let part = byOp.get(op);
  if (part) return part;
  const n = opStart[op + 1] - opStart[op];
  part = new Uint8Array(n);
  const ctx = new Uint32Array(profile.ctx.size / 4);
  for (let i = 0; i < n; i++) {
    const pr = PROBES[opStart[op] + i];
    populateCtx(ctx, profile, pr.sqe, pr.sqe.flags, pr.open);
    part[i] = program.run(ctx) === 0 ? 0 : 1;
  }
  byOp.set(op, part);
  return part;
}

function sqePart(profile: KernelProfile, slots: SlotTable | null, legacy: LegacyPolicy | null): Uint8Array {
  const k1 = slots ?? NONE;
  const k2 = legacy ?? NONE;
  const inner = innerMap(innerMap(sqeParts, profile), k1);
  let part = inner.get(k2);
  if (part) return part;
  part = new Uint8Array(PROBES.length);
  for (let op = 0; op < IORING_OP_LAST; op++) {
    const chained = slots !== null && chainPart(profile, op, slots.at(op), scratchNow);
    for (let i = opStart[op], j = 0; i < opStart[op + 1]; i++, j++) {
      const s = PROBES[i].sqe;
      part[i] = (legacy === null || sqeAllowed(legacy, s.opcode, s.flags)) && (!chained || scratchNow[j] === 1) ? 1 : 0;
    }
  }
  inner.set(k2, part);
  return part;
}

function regPart(legacy: LegacyPolicy | null): Uint8Array {
  const k = legacy ?? NONE;
  let part = regParts.get(k);
  if (part) return part;
  part = new Uint8Array(IORING_REGISTER_LAST);
  for (let op = 0; op < IORING_REGISTER_LAST; op++) part[op] = !legacy || registerAllowed(legacy, op) ? 1 : 0;
  regParts.set(k, part);
  return part;
}

/**
 * Probe indices `now` allows and `before` did not (SQE probes, then register ops). A part
 * whose inputs are the same values on both sides cannot have grown and is skipped.
 */
export function grownPolicy(profile: KernelProfile, before: HolderPolicy, now: HolderPolicy): number[] {
  const out: number[] = [];
  if (before.sqeLegacy === now.sqeLegacy) {
    // Same legacy policy: only opcodes whose chain head changed can have grown.
    if (before.slots !== now.slots) {
      const legacy = now.sqeLegacy;
      const ops = mayGrow(before.slots, now.slots);
      for (let c = 0; c < ops.length; c++) {
        const op = ops[c];
        const hb = before.slots ? before.slots.at(op) : null, hn = now.slots ? now.slots.at(op) : null;
        if (hb === hn) continue;
        const a = chainPart(profile, op, hb, scratchBefore), b = chainPart(profile, op, hn, scratchNow);
        for (let i = opStart[op], j = 0; i < opStart[op + 1]; i++, j++) {
          const s = PROBES[i].sqe;
          if (legacy !== null && !sqeAllowed(legacy, s.opcode, s.flags)) continue;
          if ((!b || scratchNow[j] === 1) && !(!a || scratchBefore[j] === 1)) out.push(i);
        }
      }
    }
  } else {
    const a = sqePart(profile, before.slots, before.sqeLegacy), b = sqePart(profile, now.slots, now.sqeLegacy);
    if (a !== b) for (let i = 0; i < b.length; i++) if (b[i] && !a[i]) out.push(i);
  }
  if (before.regLegacy !== now.regLegacy) {
    const a = regPart(before.regLegacy), b = regPart(now.regLegacy);
    if (a !== b) for (let i = 0; i < b.length; i++) if (b[i] && !a[i]) out.push(PROBES.length + i);
  }
  return out;
}

/**
 * The opcodes where slot table b may allow more than a, ascending: those holding a
 * chain in either or DENY in a only (every other slot is EMPTY in both), less those
 * DENY in b.
 */
function mayGrow(a: SlotTable | null, b: SlotTable | null): number[] {
  const out: number[] = [];
  const words = (IORING_OP_LAST + 31) >>> 5;
  for (let w = 0; w < words; w++) {
    let m = (a ? a.deny[w] : 0) ^ (b ? b.deny[w] : 0);
    if (a) m |= chainedBits(a.chained, w);
    if (b) m |= chainedBits(b.chained, w);
    // A slot that is DENY in b allows nothing there, so nothing can have grown.
    if (b) m &= ~b.deny[w];
    while (m !== 0) {
      out.push(w * 32 + 31 - Math.clz32(m & -m));
      m &= m - 1;
    }
  }
  return out;
}

/** Mask word w of a chained-opcode list. */
function chainedBits(chained: readonly number[], w: number): number {
  let m = 0;
  for (let i = 0; i < chained.length; i++) if (chained[i] >>> 5 === w) m |= 1 << (chained[i] & 31);
  return m;
}

/** Whether two policies allow exactly the same probes. */
export function samePolicy(profile: KernelProfile, a: HolderPolicy, b: HolderPolicy): boolean {
  const sa = sqePart(profile, a.slots, a.sqeLegacy), sb = sqePart(profile, b.slots, b.sqeLegacy);
  const ra = regPart(a.regLegacy), rb = regPart(b.regLegacy);
  return sameBits(sa, sb) && sameBits(ra, rb);
}

function sameBits(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function probeName(i: number): string {
  if (i >= PROBES.length) return `register op ${i - PROBES.length}`;
  const s = PROBES[i].sqe;
  return `sqe op ${s.opcode} flags ${s.flags}${s.opcode === OP.SOCKET ? ` family ${s.fd}` : ''}`;
}

/**
 * Every probe a policy allows, evaluated straight from its definition: the legacy
 * checks, then each filter of the opcode's chain run on the probe's context, DENY
 * allowing nothing. No memo and no deltas: the tests hold grownPolicy to it.
 */
export function allowedProbes(profile: KernelProfile, p: HolderPolicy): boolean[] {
  const out: boolean[] = [];
  const ctx = new Uint32Array(profile.ctx.size / 4);
  for (const pr of PROBES) {
    const s = pr.sqe;
    let ok = p.sqeLegacy === null || sqeAllowed(p.sqeLegacy, s.opcode, s.flags);
    for (let x: Slot = p.slots ? p.slots.at(s.opcode) : null; ok && x !== null; x = x === DENY ? null : (x as FilterNode).next) {
      if (x === DENY) ok = false;
      else {
        populateCtx(ctx, profile, s, s.flags, pr.open);
        ok = (x as FilterNode).program.run(ctx) !== 0;
      }
    }
    out.push(ok);
  }
  for (let op = 0; op < IORING_REGISTER_LAST; op++) out.push(p.regLegacy === null || registerAllowed(p.regLegacy, op));
  return out;
}
