// The small universe an exploration runs over: which tasks, ring names, opcodes,
// programs and restriction sets exist, and the moves (call sequences of one or a
// few trace commands) that are possible from a state's shape.

import { AF, SOCK } from '../../model/abi/net.ts';
import { OP, opcodeName } from '../../model/abi/opcodes.ts';
import { REG } from '../../model/abi/register.ts';
import { FILTER_FLAGS, RESTRICTION, SETUP_FLAGS } from '../../model/abi/flags.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { CommandBody, RestrictionEntry, SqeSpec, Target } from '../trace/ast.ts';
import type { Step } from './observe.ts';
import { ALLOW, DENY, argProgram, type UniverseProgram } from './programs.ts';

/** A move: one or a few commands that are always made together (an `io` is sqe+submit+cqes). */
export interface Move {
  label: string;
  steps: Step[];
}

export interface UniverseSpec {
  /** Most tasks that may exist (init plus forks). */
  tasks: number;
  /** Ring names per task (r0, r1, ...). */
  rings: number;
  opcodes: number[];
  /** Which programs: 'allow', 'deny', 'arg'. */
  programs: ('allow' | 'deny' | 'arg')[];
  /** Also offer DENY_REST registrations. */
  denyRest: boolean;
  /** Offer setuid/nnp/exit/close (privilege and lifetime moves). */
  lifecycle: boolean;
}

export const DEFAULT_UNIVERSE: UniverseSpec = {
  tasks: 2, rings: 1, opcodes: [OP.NOP, OP.SOCKET], programs: ['allow', 'deny', 'arg'], denyRest: true, lifecycle: true,
};

/** What the move generator needs to know about a state. */
export interface Shape {
  tasks: { name: string; alive: boolean; uid: number; rings: string[] }[];
}

export function blankSqe(opcode: number, ud: bigint): SqeSpec {
  return { opcode, flags: 0, ud, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n };
}

/** The SQE of an `io` move: arg 0 is the allowed variant of the argument program, 1 the other. */
export function ioSqe(op: number, arg: 0 | 1): SqeSpec {
  // user_data: distinct per opcode (so fd results can be told apart), parity = arg.
  const s = blankSqe(op, BigInt(op * 2 + arg));
  if (op === OP.SOCKET) {
    s.fd = arg === 0 ? AF.AF_UNIX : AF.AF_INET;
    s.off = BigInt(SOCK.SOCK_STREAM);
  }
  return s;
}

export class Universe {
  readonly spec: UniverseSpec;
  readonly profile: KernelProfile;
  readonly programs: UniverseProgram[][];
  private readonly restrictionSets: { label: string; entries: RestrictionEntry[] }[];
  private readonly cache = new Map<string, Move[]>();
  private readonly byShape = new WeakMap<Shape, Move[]>();

  constructor(spec: UniverseSpec, profile: KernelProfile) {
    this.spec = spec;
    this.profile = profile;
    this.programs = spec.opcodes.map((op) =>
      spec.programs.map((k) => (k === 'allow' ? ALLOW : k === 'deny' ? DENY : argProgram(op, profile))));
    const first = spec.opcodes[0] ?? OP.NOP;
    this.restrictionSets = [
      { label: `sqe_op:${opcodeName(first)}`, entries: [{ type: RESTRICTION.SQE_OP, value: first }] },
      { label: 'register_op:PROBE', entries: [{ type: RESTRICTION.REGISTER_OP, value: REG.PROBE }] },
      { label: '(empty)', entries: [] },
    ];
  }

  /** Every move possible from a state of this shape, in a fixed order. */
  moves(shape: Shape): Move[] {
    const hit = this.byShape.get(shape);
    if (hit) return hit;
    const key = shape.tasks.map((t) => `${t.name}${t.alive ? '' : '!'}${t.uid}:${t.rings.join(',')}`).join('|');
    let m = this.cache.get(key);
    if (!m) this.cache.set(key, (m = this.build(shape)));
    this.byShape.set(shape, m);
    return m;
  }

  private build(shape: Shape): Move[] {
    const out: Move[] = [];
    const live = shape.tasks.filter((t) => t.alive);
    const one = (task: string, body: CommandBody, label: string) => out.push({ label, steps: [{ task, body }] });
    for (const t of live) {
      const at = t.name === 'init' ? '' : `@${t.name} `;
      const targets: Target[] = [{ kind: 'task' }, ...t.rings.map((ring) => ({ kind: 'ring', ring }) as Target)];
      const free = Array.from({ length: this.spec.rings }, (_, i) => `r${i}`).find((n) => !t.rings.includes(n));
      if (free) {
        one(t.name, { c: 'ring', ring: free, entries: 8, flags: 0 }, `${at}ring ${free}`);
        one(t.name, { c: 'ring', ring: free, entries: 8, flags: SETUP_FLAGS.R_DISABLED }, `${at}ring ${free} flags=R_DISABLED`);
      }
      for (const ring of t.rings) {
        one(t.name, { c: 'enable', ring }, `${at}enable ${ring}`);
        one(t.name, { c: 'register', ring, op: REG.PROBE }, `${at}register ${ring} PROBE`);
        this.spec.opcodes.forEach((op) => {
          for (const arg of [0, 1] as const) {
            if (arg === 1 && !this.spec.programs.includes('arg')) continue;
            const sqe = ioSqe(op, arg);
            out.push({
              label: `${at}io ${ring} ${opcodeName(op)}${arg ? ' (other arg)' : ''}`,
              steps: [
                { task: t.name, body: { c: 'sqe', ring, sqe } },
                { task: t.name, body: { c: 'submit', ring } },
                { task: t.name, body: { c: 'cqes', ring } },
              ],
            });
          }
        });
        if (this.spec.lifecycle) one(t.name, { c: 'close', ring }, `${at}close ${ring}`);
      }
      for (const target of targets) {
        const tname = target.kind === 'task' ? 'task' : target.ring;
        for (const rs of this.restrictionSets) one(t.name, { c: 'restrict', target, entries: rs.entries }, `${at}restrict ${tname} ${rs.label}`);
        this.spec.opcodes.forEach((op, oi) => {
          for (const prog of this.programs[oi]) {
            for (const flags of this.spec.denyRest ? [0, FILTER_FLAGS.DENY_REST] : [0]) {
              one(t.name, { c: 'bpf', target, op, flags, pdu: null, program: prog.name, insns: prog.insns, raw: {} },
                `${at}bpf ${tname} op=${opcodeName(op)}${flags ? ' flags=DENY_REST' : ''} ${prog.name}`);
            }
          }
        });
      }
      if (this.spec.lifecycle) {
        one(t.name, { c: 'nnp' }, `${at}nnp`);
        if (t.uid === 0) one(t.name, { c: 'setuid', uid: 65534 }, `${at}setuid 65534`);
        if (t.name !== 'init') one(t.name, { c: 'exit' }, `${at}exit`);
      }
      if (shape.tasks.length < this.spec.tasks) one(t.name, { c: 'fork', child: `t${shape.tasks.length}` }, `${at}fork t${shape.tasks.length}`);
    }
    return out;
  }

  /** Programs used by a move list, for the trace's declarations. */
  programFor(name: string): UniverseProgram | undefined {
    for (const ps of this.programs) for (const p of ps) if (p.name === name) return p;
    return undefined;
  }
}
