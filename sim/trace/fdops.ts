// Requests whose non-negative result is a new file descriptor. Their fd numbers
// depend on what else the process has open, so comparisons and `fd`
// expectations treat any non-negative result of these as "fd".

import { OP, opcodeName } from '../../model/abi/opcodes.ts';

export const FD_PRODUCING_OPS: ReadonlySet<number> = new Set([
  OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.ACCEPT, OP.FIXED_FD_INSTALL,
]);

export const FD_PRODUCING_NAMES: ReadonlySet<string> = new Set([...FD_PRODUCING_OPS].map(opcodeName));

/**
 * Which user_data values name an fd-producing request, learnt from `sqe` records
 * as they go by (the latest SQE with a given user_data wins).
 */
export class FdUserData {
  private readonly ops = new Map<string, string>();
  note(ud: string, op: string): void { this.ops.set(ud, op); }
  makesFd(ud: string): boolean {
    const op = this.ops.get(ud);
    return op !== undefined && FD_PRODUCING_NAMES.has(op);
  }
}
