// restore(world) must bring back exactly the world's queues: the runtime queue of
// a ring the world does not have (closed, or made after it) must not survive to be
// taken for a later ring with the same id. (It did when the kernel held as many
// runtime queues as the restored world had rings; `ringfence fuzz` then reported
// disagreements that did not reproduce.)
import { describe, expect, it } from 'vitest';
import { OP } from '../../model/abi/opcodes.ts';
import { INIT, kernel, sqe } from './helpers.ts';

describe('restore and the runtime queues', () => {
  it('a ring made after a restore starts with an empty SQ', () => {
    const k = kernel('7.3');
    const start = k.world;
    // Ring id 1 closed, ring id 2 left with one queued SQE.
    const a = k.setup(INIT, 8, 0);
    k.close(INIT, a);
    const b = k.setup(INIT, 8, 0);
    expect(k.queueSqe(INIT, b, sqe(OP.NOP, 1))).toBe(1);
    void k.world;
    k.restore(start);
    // Two rings again, ids 1 and 2: the second must not inherit the old queue.
    const c = k.setup(INIT, 8, 0);
    void k.world;
    const d = k.setup(INIT, 8, 0);
    expect(k.queueSqe(INIT, d, sqe(OP.NOP, 2))).toBe(1);
    expect(k.queueSqe(INIT, c, sqe(OP.NOP, 3))).toBe(1);
  });
});
