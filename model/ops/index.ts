// The opcodes whose prep and issue the model knows. Every other opcode passes
// prep and completes with -EOPNOTSUPP, flagged as not modelled (docs/model.md).

import { OP } from '../abi/opcodes.ts';
import type { OpHandler } from './env.ts';
import { nop } from './nop.ts';
import { socket } from './socket.ts';
import { openat, openat2 } from './open.ts';
import { connect } from './connect.ts';
import { close } from './close.ts';

export const OP_HANDLERS: ReadonlyMap<number, OpHandler> = new Map<number, OpHandler>([
  [OP.NOP, nop],
  [OP.SOCKET, socket],
  [OP.OPENAT, openat],
  [OP.OPENAT2, openat2],
  [OP.CONNECT, connect],
  [OP.CLOSE, close],
]);

export * from './env.ts';
export * from './defs.ts';
