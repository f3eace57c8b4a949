// Checking a command's `=> EXPECT` against its record, and showing both sides in
// the expectation's own syntax so a failure reads like the line that was written.

import { formatRet } from '../../model/abi/errno.ts';
import type { Expectation, TraceCommand, TraceRecord } from './ast.ts';
import type { FdUserData } from './fdops.ts';

export interface ExpectationFailure {
  command: TraceCommand;
  record: TraceRecord;
  /** The expectation as written. */
  expected: string;
  /** The record, written as an expectation would be. */
  actual: string;
}

/** The record in expectation syntax: `0 pdu=12`, `2 left=1`, `1:0 2:-EACCES`, `none`. */
export function describeActual(c: TraceCommand['c'], r: TraceRecord): string {
  if (c === 'cqes') {
    if (r.cqes === undefined) return r.ret !== undefined ? formatRet(r.ret) : '?';
    if (r.cqes.length === 0) return 'none';
    return r.cqes.map(([ud, res]) => `${ud}:${formatRet(res)}`).join(' ');
  }
  const main = c === 'sqe' ? r.queued : r.ret;
  let s = main === undefined ? '?' : formatRet(main);
  if (c === 'bpf' && r.pdu !== undefined) s += ` pdu=${r.pdu}`;
  if (c === 'submit' && r.left !== undefined) s += ` left=${r.left}`;
  return s;
}

/** Whether the record satisfies the expectation. `fd` matches a non-negative result of an fd-producing request. */
export function matches(e: Expectation, c: TraceCommand['c'], r: TraceRecord, fds: FdUserData): boolean {
  switch (e.kind) {
    case 'none':
      return r.cqes !== undefined && r.cqes.length === 0;
    case 'cqes': {
      const got = r.cqes;
      if (!got || got.length !== e.cqes.length) return false;
      return e.cqes.every((want, k) => {
        const [ud, res] = got[k];
        if (ud !== want.ud.toString()) return false;
        if (want.res === 'fd') return res >= 0 && fds.makesFd(ud);
        return res === want.res;
      });
    }
    case 'ret': {
      // On `sqe` the number is the count of SQEs now queued (a ringfence extension).
      const main = c === 'sqe' ? r.queued : r.ret;
      if (main !== e.ret) return false;
      if (e.pdu !== undefined && r.pdu !== e.pdu) return false;
      if (e.left !== undefined && r.left !== e.left) return false;
      return true;
    }
  }
}

export function checkExpectation(cmd: TraceCommand, r: TraceRecord, fds: FdUserData): ExpectationFailure | undefined {
  const e = cmd.expect;
  if (!e || matches(e, cmd.c, r, fds)) return undefined;
  return { command: cmd, record: r, expected: e.text, actual: describeActual(cmd.c, r) };
}
