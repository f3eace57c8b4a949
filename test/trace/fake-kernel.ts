// A tiny stand-in for the simulated kernel, for testing the replayer's own
// mechanics (names to pids and fds, records, expectations) apart from the model.
// It knows nothing of restrictions: NOP completes with 0, SOCKET with a new fd,
// anything else with -EINVAL; an unknown fd is -EBADF.

import type { Cqe, Pid, Syscalls, BpfRegistration } from '../../sim/syscall/api.ts';
import type { RestrictionEntry, SqeSpec } from '../../sim/trace/ast.ts';
import { getProfile, type KernelProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';

const EBADF = -9, EINVAL = -22;

interface Ring { sq: SqeSpec[]; cq: Cqe[] }
interface Task { fds: Map<number, number> }
export interface FakeWorld { tasks: Map<Pid, Task>; rings: Map<number, Ring>; nextPid: number; nextRing: number; calls: string[] }

export function fakeKernel(profile: KernelProfile = getProfile('7.3')!): Syscalls<FakeWorld> & { calls: string[] } {
  const w: FakeWorld = { tasks: new Map([[1, { fds: new Map() }]]), rings: new Map(), nextPid: 2, nextRing: 1, calls: [] };
  const lowestFd = (t: Task) => { let fd = 3; while (t.fds.has(fd)) fd++; return fd; };
  const ring = (pid: Pid, fd: number): Ring | undefined => {
    const id = w.tasks.get(pid)?.fds.get(fd);
    return id === undefined ? undefined : w.rings.get(id);
  };
  const k = {
    profile,
    get world() { return w; },
    calls: w.calls,
    restore() { throw new Error('not supported'); },
    setup(pid: Pid, entries: number, flags: number) {
      w.calls.push(`setup ${pid} ${entries} ${flags}`);
      if (entries === 0) return EINVAL;
      const t = w.tasks.get(pid)!;
      const fd = lowestFd(t);
      const id = w.nextRing++;
      w.rings.set(id, { sq: [], cq: [] });
      t.fds.set(fd, id);
      return fd;
    },
    close(pid: Pid, fd: number) { w.calls.push(`close ${pid} ${fd}`); return w.tasks.get(pid)!.fds.delete(fd) ? 0 : EBADF; },
    registerRestrictions(pid: Pid, fd: number, e: RestrictionEntry[]) { w.calls.push(`restrict ${pid} ${fd} ${e.length}`); return fd === -1 || ring(pid, fd) ? 0 : EBADF; },
    enableRings(pid: Pid, fd: number) { w.calls.push(`enable ${pid} ${fd}`); return ring(pid, fd) ? 0 : EBADF; },
    register(pid: Pid, fd: number, op: number) { w.calls.push(`register ${pid} ${fd} ${op}`); return ring(pid, fd) ? 0 : EBADF; },
    registerBpf(pid: Pid, fd: number, r: BpfRegistration) {
      w.calls.push(`bpf ${pid} ${fd} ${r.opcode} ${r.insns.length}`);
      if (fd !== -1 && !ring(pid, fd)) return { ret: EBADF };
      return r.opcode === OP.SOCKET ? { ret: 0, pdu: 12 } : { ret: 0 };
    },
    queueSqe(pid: Pid, fd: number, sqe: SqeSpec) {
      const r = ring(pid, fd);
      if (!r) return EBADF;
      r.sq.push(sqe);
      return r.sq.length;
    },
    enter(pid: Pid, fd: number) {
      const r = ring(pid, fd);
      if (!r) return { ret: EBADF, left: 0 };
      const t = w.tasks.get(pid)!;
      const n = r.sq.length;
      for (const s of r.sq.splice(0)) {
        let res = EINVAL;
        if (s.opcode === OP.NOP) res = 0;
        else if (s.opcode === OP.SOCKET) { res = lowestFd(t); t.fds.set(res, -1); }
        r.cq.push({ userData: s.ud, res, flags: 0 });
      }
      return { ret: n, left: 0 };
    },
    reapCqes(pid: Pid, fd: number) { const r = ring(pid, fd); return r ? r.cq.splice(0) : EBADF; },
    setNoNewPrivs(pid: Pid) { w.calls.push(`nnp ${pid}`); return 0; },
    setresuid(pid: Pid, uid: number) { w.calls.push(`setuid ${pid} ${uid}`); return 0; },
    fork(pid: Pid) {
      const child = w.nextPid++;
      w.tasks.set(child, { fds: new Map(w.tasks.get(pid)!.fds) });
      w.calls.push(`fork ${pid} -> ${child}`);
      return { ret: 0, child };
    },
    exit(pid: Pid) { w.calls.push(`exit ${pid}`); w.tasks.delete(pid); return 0; },
  };
  return k;
}
