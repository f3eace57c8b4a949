// The opcodes whose prep and issue the model knows. Every other opcode passes
// prep and completes with -EOPNOTSUPP, flagged as not modelled (docs/model.md).

import { OP } from '../abi/opcodes.ts';
import type { OpHandler } from './env.ts';
import { nop } from './nop.ts';
import { socket } from './socket.ts';
import { openat, openat2 } from './open.ts';
import { connect } from './connect.ts';
import { close } from './close.ts';
import { pipe } from './pipe.ts';
import { read, readv, write, writev } from './rw.ts';
import { recv, send } from './net.ts';
import { fsync } from './sync.ts';

export const OP_HANDLERS: ReadonlyMap<number, OpHandler> = new Map<number, OpHandler>([
  [OP.NOP, nop],
  [OP.SOCKET, socket],
  [OP.OPENAT, openat],
  [OP.OPENAT2, openat2],
  [OP.CONNECT, connect],
  [OP.CLOSE, close],
  [OP.PIPE, pipe],
  [OP.READ, read],
  [OP.WRITE, write],
  [OP.READV, readv],
  [OP.WRITEV, writev],
  [OP.SEND, send],
  [OP.RECV, recv],
  [OP.FSYNC, fsync],
]);

/** OP_HANDLERS as an array indexed by opcode (the submission hot path). */
export const HANDLER_BY_OP: readonly (OpHandler | undefined)[] = Array.from({ length: 256 }, (_, op) => OP_HANDLERS.get(op));

export * from './env.ts';
export * from './defs.ts';
