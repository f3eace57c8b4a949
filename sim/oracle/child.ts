// Children that die with their parent. A `ringfence worker` killed with SIGKILL runs no
// handler, so its qemu guests would run on until they power off. Linux's parent-death
// signal (prctl PR_SET_PDEATHSIG) kills them the moment it dies; Node cannot set it
// between fork and exec, so the child is started through util-linux's `setpriv
// --pdeathsig KILL`, which sets it and execs the command in the same process. Without
// setpriv the child is started as it is (and can outlive a killed parent).

import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

let setpriv: boolean | undefined;

/** Whether `setpriv --pdeathsig` works here (asked once). */
export function haveDeathSignal(): boolean {
  setpriv ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return setpriv;
}

/** The command line that runs cmd args with SIGKILL as its parent-death signal, when it can. */
export function boundCommand(cmd: string, args: string[]): { cmd: string; args: string[] } {
  return haveDeathSignal() ? { cmd: 'setpriv', args: ['--pdeathsig', 'KILL', '--', cmd, ...args] } : { cmd, args };
}

/** spawn(), but the child is killed when this process dies, however it dies (see above). */
export function spawnBound(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const c = boundCommand(cmd, args);
  return spawn(c.cmd, c.args, opts);
}
