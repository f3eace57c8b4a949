// Legacy restrictions (kernel-semantics.md §2.2.1, §6): the bitmaps and flag masks
// of struct io_restriction, how a registration parses them, and the two checks
// that use them (the SQE check of §6.2 and the register check of §2.1.2).

import { IORING_OP_LAST } from '../abi/opcodes.ts';
import { IORING_REGISTER_LAST } from '../abi/register.ts';
import { RESTRICTION } from '../abi/flags.ts';
import { ERRNO } from '../abi/errno.ts';
import { type Bitmap, emptyBitmap, testBit, withBit } from './bitmap.ts';

/** IORING_MAX_RESTRICTIONS = RESTRICTION_LAST + REGISTER_LAST + OP_LAST (107 from 7.0; 103 on 6.18). */
export const IORING_MAX_RESTRICTIONS = 4 + IORING_REGISTER_LAST + IORING_OP_LAST;

/** One struct io_uring_restriction: opcode (IORING_RESTRICTION_*) and its u8 operand. */
export interface RestrictionEntryIn {
  type: number;
  value: number;
}

/** The legacy part of a restriction set. Immutable once registered (§3.4). */
export interface LegacyPolicy {
  readonly registerOps: Bitmap;
  readonly sqeOps: Bitmap;
  readonly flagsAllowed: number;
  readonly flagsRequired: number;
  /** Any SQE-side entry was given (7.0+: arms OP_RESTRICTED). */
  readonly opRegistered: boolean;
  /** Any register-side entry was given (7.0+: arms REG_RESTRICTED). */
  readonly regRegistered: boolean;
}

export const NO_POLICY: LegacyPolicy = Object.freeze({
  registerOps: emptyBitmap(IORING_REGISTER_LAST),
  sqeOps: emptyBitmap(IORING_OP_LAST),
  flagsAllowed: 0,
  flagsRequired: 0,
  opRegistered: false,
  regRegistered: false,
});

/**
 * io_parse_restrictions (§2.2.1): entries in order, bits accumulate, flag masks
 * overwrite, resv fields are ignored; nr == 0 registers both classes (deny all).
 * Returns the policy or a negative errno. The u8 operand is taken modulo 256, as
 * the kernel reads a byte.
 */
export function parseRestrictions(
  entries: readonly RestrictionEntryIn[],
  limits: { opLast: number; registerOpLast: number } = { opLast: IORING_OP_LAST, registerOpLast: IORING_REGISTER_LAST },
): LegacyPolicy | number {
  const { opLast, registerOpLast } = limits;
  if (entries.length > 4 + opLast + registerOpLast) return -ERRNO.EINVAL;
  let registerOps = NO_POLICY.registerOps;
  let sqeOps = NO_POLICY.sqeOps;
  let flagsAllowed = 0;
  let flagsRequired = 0;
  let opRegistered = false;
  let regRegistered = false;
  for (const e of entries) {
    const v = e.value & 0xff;
    switch (e.type & 0xffff) {
      case RESTRICTION.REGISTER_OP:
        if (v >= registerOpLast) return -ERRNO.EINVAL;
        registerOps = withBit(registerOps, v);
        regRegistered = true;
        break;
      case RESTRICTION.SQE_OP:
        if (v >= opLast) return -ERRNO.EINVAL;
        sqeOps = withBit(sqeOps, v);
        opRegistered = true;
        break;
      case RESTRICTION.SQE_FLAGS_ALLOWED:
        flagsAllowed = v;
        opRegistered = true;
        break;
      case RESTRICTION.SQE_FLAGS_REQUIRED:
        flagsRequired = v;
        opRegistered = true;
        break;
      default:
        return -ERRNO.EINVAL;
    }
  }
  if (entries.length === 0) {
    opRegistered = true;
    regRegistered = true;
  }
  return Object.freeze({ registerOps, sqeOps, flagsAllowed, flagsRequired, opRegistered, regRegistered });
}

/** io_check_restriction (§6.2) with the raw SQE flags byte; the caller has decided the ring is op-restricted. */
export function sqeAllowed(p: LegacyPolicy, opcode: number, sqeFlags: number): boolean {
  if (!testBit(p.sqeOps, opcode)) return false;
  if ((sqeFlags & p.flagsRequired) !== p.flagsRequired) return false;
  if (sqeFlags & ~(p.flagsAllowed | p.flagsRequired)) return false;
  return true;
}

/** The register allow list check (§2.1.2 step 3); the caller decides whether it applies. */
export function registerAllowed(p: LegacyPolicy, op: number): boolean {
  return testBit(p.registerOps, op);
}
