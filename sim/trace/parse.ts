// The trace parser (trace-format.md v1 plus the extensions in docs/traces.md).
// It reads the whole file, reports every error it finds (each located, with what
// was expected) and only returns a TraceFile when there are none: nothing is
// replayed from a file with errors. Names of tasks, rings and programs are
// checked statically as far as the text allows.

import { rfError, type RfError, type Result, type SourceLoc } from '../../model/errors.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { AT_FDCWD } from '../../model/abi/net.ts';
import { CTX_V7, type CtxLayout } from '../../model/abi/ctx.ts';
import type { SymbolKind } from '../../model/abi/symbols.ts';
import { PROFILES, PROFILE_NAMES, type ProfileName } from '../../model/profile/profiles.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type {
  BpfRaw, CommandBody, Expectation, ProgramDecl, RestrictionEntry, SqeSpec, Target, Trace, TraceCommand, TraceFile,
} from './ast.ts';
import { lexLine, stripProgramComment, type Token } from './lex.ts';
import {
  parseFlagSet, parseValue, RAW16, RAW32, RAW64, S32, U16, U32, U8, type IntRange, type ValueResult,
} from './values.ts';
import { assembleBody, BUILTIN_PROGRAMS, parseQuad, QUAD } from './program.ts';
import { buildSockaddr, parseIPv4, parseIPv6, type SockaddrSpec } from './sockaddr.ts';
import { OPEN_HOW_PTR, OPEN_HOW_SIZE, PATH_PTR, SOCKADDR_PTR } from './pointers.ts';

export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const INIT_TASK = 'init';
/** `ring R` without `entries=`. */
export const DEFAULT_ENTRIES = 8;
/** Errors reported for one kernels= list at most (each shows the whole line). */
const MAX_LIST_ERRORS = 5;

const COMMAND_NAMES = ['ring', 'close', 'restrict', 'enable', 'register', 'bpf', 'sqe', 'submit', 'cqes', 'nnp', 'setuid', 'fork', 'exit'] as const;
const COMMAND_LIST = 'ring, close, restrict, enable, register, bpf, sqe, submit, cqes, nnp, setuid, fork, exit, program or end';

interface TaskInfo {
  /** Line of the `fork` that made it (0 for init). */
  forkLine: number;
  exitLine?: number;
  rings: Set<string>;
}

interface Pending { name: string; loc: SourceLoc }

interface TraceBuild {
  trace: Trace;
  layout: CtxLayout;
  tasks: Map<string, TaskInfo>;
  sqeCount: number;
  /** Task, ring and program references that failed, for a better message at `end`. */
  unknownTasks: Pending[];
  unknownPrograms: Pending[];
  forkLines: Map<string, number>;
}

class Errors {
  list: RfError[] = [];
  push(e: RfError): void { this.list.push(e); }
  /** The value of a result, or undefined after recording its error. */
  take<T>(r: ValueResult<T>): T | undefined {
    if (r.ok) return r.value;
    this.list.push(r.error);
    return undefined;
  }
}

const tokLoc = (file: string, line: number, t: Token): SourceLoc => ({ file, line, col: t.col, len: Math.max(1, t.len) });
const valLoc = (file: string, line: number, t: Token): SourceLoc => ({
  file, line, col: t.valueCol, len: Math.max(1, t.len - (t.valueCol - t.col)),
});
const key = (t: Token) => t.text.slice(0, t.eq);
const val = (t: Token) => t.text.slice(t.eq + 1);

/** The layout a trace's programs are assembled for: v5's only when every profile it names uses it. */
function layoutFor(kernels: ProfileName[] | null): CtxLayout {
  if (!kernels || kernels.length === 0) return CTX_V7;
  const layouts = new Set(kernels.map((k) => PROFILES[k].ctx));
  return layouts.size === 1 ? [...layouts][0] : CTX_V7;
}

/** Parse a whole trace file. Every error is returned; a file with errors yields no traces. */
export function parseTraceFile(file: string, source: string): Result<TraceFile, RfError[]> {
  const errors = new Errors();
  const lines = source.split('\n').map((l) => l.replace(/\r$/, ''));
  const traces: Trace[] = [];
  const traceNames = new Map<string, number>();
  let cur: TraceBuild | null = null;

  const finish = (b: TraceBuild, endLine: number | null) => {
    if (endLine === null) {
      errors.push(rfError('syntax', `trace ${b.trace.name} is not closed`, b.trace.loc, '`end` after its last command'));
    }
    for (const p of b.unknownTasks) {
      const forkedAt = b.forkLines.get(p.name);
      errors.push(forkedAt !== undefined && forkedAt >= p.loc.line
        ? rfError('name', `task ${p.name} is used before it is forked (line ${forkedAt})`, p.loc, 'a task that exists at this point')
        : rfError('name', `unknown task ${p.name}`, p.loc, `init or a task made by \`fork\``));
    }
    for (const p of b.unknownPrograms) {
      const decl = b.trace.programs.get(p.name);
      errors.push(decl
        ? rfError('name', `program ${p.name} is used before its declaration (line ${decl.loc.line})`, p.loc, 'a program declared above')
        : rfError('name', `unknown program ${p.name}`, p.loc, 'allow, deny, a program declared above, or code:jt:jf:k quads'));
    }
    traces.push(b.trace);
  };

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const lx = lexLine(file, lineNo, lines[n]);
    if (!lx.ok) { errors.push(lx.error); continue; }
    const { tokens } = lx.value;
    if (tokens.length === 0 && lx.value.expect === null) continue;
    const head = tokens[0];

    if (!cur) {
      if (head && head.text === 'trace' && head.eq < 0) {
        cur = startTrace(file, lineNo, tokens, lx.value.expect, errors, traceNames);
      } else {
        const t = head ?? { col: lx.value.arrowCol, len: 2 } as Token;
        errors.push(rfError('syntax', `\`${head?.text ?? '=>'}\` outside a trace`, tokLoc(file, lineNo, t), '`trace NAME [kernels=LIST]`'));
      }
      continue;
    }

    if (head && head.eq < 0 && head.text === 'trace') {
      finish(cur, null);
      cur = startTrace(file, lineNo, tokens, lx.value.expect, errors, traceNames);
      continue;
    }
    if (head && head.eq < 0 && head.text === 'end') {
      for (const t of tokens.slice(1)) errors.push(rfError('syntax', `unexpected \`${t.text}\` after end`, tokLoc(file, lineNo, t), 'nothing after `end`'));
      if (lx.value.expect) errors.push(rfError('syntax', '`end` takes no expectation', { file, line: lineNo, col: lx.value.arrowCol, len: 2 }, 'nothing after `end`'));
      finish(cur, lineNo);
      cur = null;
      continue;
    }
    if (head && head.eq < 0 && head.text === 'program') {
      n = readProgram(file, lines, n, tokens, lx.value.expect, cur, errors);
      continue;
    }
    parseCommandLine(file, lineNo, lx.value, cur, errors);
  }
  if (cur) finish(cur, null);
  if (errors.list.length) {
    errors.list.sort((a, b) => (a.loc?.line ?? 0) - (b.loc?.line ?? 0) || (a.loc?.col ?? 0) - (b.loc?.col ?? 0));
    return { ok: false, error: errors.list };
  }
  return { ok: true, value: { file, source, traces } };
}

function checkName(file: string, line: number, t: Token | undefined, what: string, errors: Errors, at?: SourceLoc): string | undefined {
  if (!t) {
    errors.push(rfError('syntax', `missing ${what}`, at ?? { file, line, col: 1 }, `${what} matching [A-Za-z_][A-Za-z0-9_.-]*`));
    return undefined;
  }
  if (t.eq >= 0 || t.quoted || !NAME_RE.test(t.text)) {
    errors.push(rfError('syntax', `\`${t.text}\` is not a valid ${what}`, tokLoc(file, line, t), `${what} matching [A-Za-z_][A-Za-z0-9_.-]*`));
    return undefined;
  }
  return t.text;
}

/** The location just after the last token of a line, for "missing ..." errors. */
function endOf(file: string, line: number, tokens: Token[]): SourceLoc {
  const last = tokens[tokens.length - 1];
  return { file, line, col: last ? last.col + last.len + 1 : 1 };
}

function startTrace(file: string, line: number, tokens: Token[], expect: Token[] | null, errors: Errors,
  traceNames: Map<string, number>): TraceBuild {
  const nameTok = tokens[1];
  const name = checkName(file, line, nameTok, 'trace name', errors, endOf(file, line, tokens)) ?? `<line ${line}>`;
  if (nameTok && traceNames.has(name)) {
    errors.push(rfError('name', `trace ${name} is already defined on line ${traceNames.get(name)}`, tokLoc(file, line, nameTok), 'a trace name unique within the file'));
  } else traceNames.set(name, line);
  if (expect) errors.push(rfError('syntax', 'a trace header takes no expectation', { file, line, col: 1 }, 'trace NAME [kernels=LIST]'));
  let kernels: ProfileName[] | null = null;
  for (const t of tokens.slice(2)) {
    if (t.eq >= 0 && key(t) === 'kernels') {
      if (kernels) { errors.push(rfError('syntax', 'kernels= given twice', tokLoc(file, line, t), 'one kernels= list')); continue; }
      kernels = [];
      let col = t.valueCol, bad = 0;
      for (const k of val(t).split(',')) {
        if ((PROFILE_NAMES as string[]).includes(k)) {
          if (!kernels.includes(k as ProfileName)) kernels.push(k as ProfileName);
        } else {
          errors.push(rfError('name', k === '' ? 'empty kernel name' : `unknown kernel profile \`${k}\``,
            { file, line, col, len: Math.max(1, k.length) }, `one of ${PROFILE_NAMES.join(', ')}`));
          // A few errors per list: each error shows the line, so `kernels=7,,,,...` (33,000
          // commas) printed the line 33,000 times, a gigabyte (found by sim/fuzz).
          if (++bad === MAX_LIST_ERRORS) break;
        }
        col += k.length + 1;
      }
    } else {
      errors.push(rfError('syntax', t.eq >= 0 ? `unknown option \`${key(t)}=\`` : `unexpected \`${t.text}\``,
        tokLoc(file, line, t), 'kernels=LIST after the trace name'));
    }
  }
  const trace: Trace = {
    name, kernels, loc: { file, line, col: nameTok?.col ?? 1, len: nameTok?.len ?? 5 }, programs: new Map(), commands: [],
  };
  return {
    trace,
    layout: layoutFor(kernels),
    tasks: new Map([[INIT_TASK, { forkLine: 0, rings: new Set() }]]),
    sqeCount: 0,
    unknownTasks: [],
    unknownPrograms: [],
    forkLines: new Map(),
  };
}

/** `program NAME` ... `end`: returns the index of the `end` line (or of the last line). */
function readProgram(file: string, lines: string[], n: number, tokens: Token[], expect: Token[] | null,
  b: TraceBuild, errors: Errors): number {
  const line = n + 1;
  const nameTok = tokens[1];
  const name = checkName(file, line, nameTok, 'program name', errors, endOf(file, line, tokens));
  for (const t of tokens.slice(2)) errors.push(rfError('syntax', `unexpected \`${t.text}\``, tokLoc(file, line, t), 'only a name after `program`'));
  if (expect) errors.push(rfError('syntax', 'a program declaration takes no expectation', { file, line, col: 1 }, 'program NAME'));
  const body: string[] = [];
  let m = n + 1;
  for (; m < lines.length; m++) {
    const text = lines[m].replace(/\r$/, '');
    if (stripProgramComment(text).trim() === 'end') break;
    body.push(text);
  }
  if (m >= lines.length) {
    errors.push(rfError('syntax', `program ${name ?? ''} is not closed`.replace(/ +$/, ''), { file, line, col: 1, len: 7 }, '`end` after the last instruction'));
    return lines.length - 1;
  }
  if (name && nameTok) {
    const loc = tokLoc(file, line, nameTok);
    if (BUILTIN_PROGRAMS.has(name)) {
      errors.push(rfError('name', `program ${name} is built in`, loc, 'a name other than allow and deny'));
    } else if (b.trace.programs.has(name)) {
      errors.push(rfError('name', `program ${name} is already declared on line ${b.trace.programs.get(name)!.loc.line}`, loc, 'a program name unique within the trace'));
    } else {
      const r = assembleBody(file, { lines: body, line0: line + 1 }, b.layout);
      if (r.ok) b.trace.programs.set(name, { name, insns: r.value, loc } satisfies ProgramDecl);
      else for (const e of r.errors) errors.push(e);
    }
  }
  return m;
}

// ---------------------------------------------------------------------------
// Commands

interface Line {
  file: string;
  line: number;
  errors: Errors;
}

/** Options of one command: checked against the allowed keys, each at most once. */
function splitArgs(l: Line, tokens: Token[], allowed: readonly string[], cmd: string): { pos: Token[]; opts: Map<string, Token> } {
  const pos: Token[] = [];
  const opts = new Map<string, Token>();
  for (const t of tokens) {
    if (t.eq < 0) { pos.push(t); continue; }
    const k = key(t);
    if (!allowed.includes(k)) {
      l.errors.push(rfError('syntax', `unknown option \`${k}=\` for ${cmd}`, { file: l.file, line: l.line, col: t.col, len: Math.max(1, t.eq + 1) },
        allowed.length ? `one of ${allowed.map((a) => a + '=').join(' ')}` : 'no options'));
    } else if (opts.has(k)) {
      l.errors.push(rfError('syntax', `\`${k}=\` given twice`, tokLoc(l.file, l.line, t), `one ${k}=`));
    } else opts.set(k, t);
  }
  return { pos, opts };
}

function tooMany(l: Line, extra: Token[], expected: string): void {
  for (const t of extra) l.errors.push(rfError('syntax', `unexpected \`${t.text}\``, tokLoc(l.file, l.line, t), expected));
}

function num(l: Line, t: Token, kinds: readonly SymbolKind[], range: IntRange, opts: { fdcwd?: boolean } = {}): bigint | undefined {
  return l.errors.take(parseValue(val(t), valLoc(l.file, l.line, t), kinds, range, opts));
}
function flags(l: Line, t: Token, kinds: readonly SymbolKind[], range: IntRange): bigint | undefined {
  return l.errors.take(parseFlagSet(val(t), valLoc(l.file, l.line, t), kinds, range));
}

interface RingCtx {
  file: string;
  line: number;
  errors: Errors;
  b: TraceBuild;
  task: string;
  info: TaskInfo | undefined;
  tokens: Token[];
}

/** A ring name the calling task has (or, with `define`, is about to have). */
function ringName(c: RingCtx, t: Token | undefined, define: boolean): string | undefined {
  const name = checkName(c.file, c.line, t, 'ring name', c.errors, endOf(c.file, c.line, c.tokens));
  if (name === undefined || !t) return undefined;
  if (name === 'task') {
    c.errors.push(rfError('name', '`task` names the calling task, not a ring', tokLoc(c.file, c.line, t), 'a ring name other than task'));
    return undefined;
  }
  if (define) { c.info?.rings.add(name); return name; }
  if (c.info && !c.info.rings.has(name)) {
    const holders = [...c.b.tasks].filter(([, ti]) => ti.rings.has(name)).map(([n]) => n);
    c.errors.push(rfError('name', `task ${c.task} has no ring ${name}` + (holders.length ? ` (${holders.join(', ')} ${holders.length > 1 ? 'have' : 'has'} one)` : ''),
      tokLoc(c.file, c.line, t), c.info.rings.size ? `one of its rings: ${[...c.info.rings].join(', ')}` : 'a ring made by `ring NAME` first'));
  }
  return name;
}

/** `task` or a ring name, as the target of restrict and bpf. */
function targetOf(c: RingCtx, t: Token | undefined): Target | undefined {
  if (t && t.text === 'task' && t.eq < 0 && !t.quoted) return { kind: 'task' };
  const r = ringName(c, t, false);
  return r === undefined ? undefined : { kind: 'ring', ring: r };
}

function parseCommandLine(file: string, lineNo: number, lx: { tokens: Token[]; expect: Token[] | null; arrowCol: number; text: string },
  b: TraceBuild, errors: Errors): void {
  const l: Line = { file, line: lineNo, errors };
  let tokens = lx.tokens;
  let task = INIT_TASK;
  let taskTok: Token | undefined;
  let badTask = false;
  if (tokens[0]?.text.startsWith('@') && tokens[0].eq < 0 && !tokens[0].quoted) {
    taskTok = tokens[0];
    const name = taskTok.text.slice(1);
    if (!NAME_RE.test(name)) {
      badTask = true;
      errors.push(rfError('syntax', `\`${taskTok.text}\` is not a valid task`, tokLoc(file, lineNo, taskTok), '@TASK with TASK matching [A-Za-z_][A-Za-z0-9_.-]*'));
    }
    task = name;
    tokens = tokens.slice(1);
  }
  const head = tokens[0];
  if (!head) {
    errors.push(rfError('syntax', 'missing command', taskTok ? endOf(file, lineNo, [taskTok]) : { file, line: lineNo, col: lx.arrowCol || 1, len: 2 }, COMMAND_LIST));
    return;
  }
  const c = head.text as (typeof COMMAND_NAMES)[number];
  if (head.eq >= 0 || !(COMMAND_NAMES as readonly string[]).includes(c)) {
    errors.push(rfError('syntax', `unknown command \`${head.text}\``, tokLoc(file, lineNo, head), COMMAND_LIST));
    return;
  }
  const args = tokens.slice(1);
  const loc: SourceLoc = { file, line: lineNo, col: (taskTok ?? head).col, len: lx.text.length };

  // The task must exist here: forked above, not exited.
  const info = b.tasks.get(task);
  if (!info) {
    if (taskTok && !badTask) b.unknownTasks.push({ name: task, loc: { file, line: lineNo, col: taskTok.col + 1, len: task.length } });
  } else if (info.exitLine !== undefined) {
    errors.push(rfError('name', `task ${task} has exited (line ${info.exitLine})`, taskTok ? tokLoc(file, lineNo, taskTok) : tokLoc(file, lineNo, head), 'a live task'));
  }

  const rc: RingCtx = { file, line: lineNo, errors, b, task, info, tokens };
  const ringRef = (t: Token | undefined, define = false) => ringName(rc, t, define);
  const target = (t: Token | undefined) => targetOf(rc, t);

  let body: CommandBody | undefined;
  switch (c) {
    case 'ring': {
      const { pos, opts } = splitArgs(l, args, ['entries', 'flags'], 'ring');
      tooMany(l, pos.slice(1), 'entries=N or flags=F');
      const ring = ringRef(pos[0], true);
      const e = opts.get('entries');
      const f = opts.get('flags');
      const entries = e ? num(l, e, [], U32) : BigInt(DEFAULT_ENTRIES);
      const fl = f ? flags(l, f, ['setup_flag'], U32) : 0n;
      if (ring !== undefined && entries !== undefined && fl !== undefined) body = { c, ring, entries: Number(entries), flags: Number(fl) };
      break;
    }
    case 'close': case 'enable': case 'submit': case 'cqes': {
      const { pos } = splitArgs(l, args, [], c);
      tooMany(l, pos.slice(1), 'only a ring name');
      const ring = ringRef(pos[0]);
      if (ring !== undefined) body = { c, ring };
      break;
    }
    case 'register': {
      const { pos } = splitArgs(l, args, [], c);
      tooMany(l, pos.slice(2), 'a ring name and a register op');
      const ring = ringRef(pos[0]);
      let op: bigint | undefined;
      if (!pos[1]) errors.push(rfError('syntax', 'missing register op', endOf(file, lineNo, tokens), 'a register op name (PROBE, ...) or number'));
      else op = l.errors.take(parseValue(pos[1].text, tokLoc(file, lineNo, pos[1]), ['register_op'], U32));
      if (ring !== undefined && op !== undefined) body = { c, ring, op: Number(op) };
      break;
    }
    case 'restrict': {
      const { pos } = splitArgs(l, args, [], c);
      const tg = target(pos[0]);
      const entries = pos.slice(1).map((t) => restriction(l, t)).filter((e): e is RestrictionEntry => e !== undefined);
      if (tg && entries.length === pos.length - 1) body = { c, target: tg, entries };
      break;
    }
    case 'bpf':
      body = bpfCommand(l, args, tokens, target, b);
      break;
    case 'sqe': {
      const { pos, opts } = splitArgs(l, args, SQE_OPTIONS, c);
      tooMany(l, pos.slice(1), 'FIELD=VALUE options');
      const ring = ringRef(pos[0]);
      const sqe = sqeSpec(l, opts, BigInt(b.sqeCount), endOf(file, lineNo, tokens));
      b.sqeCount++;
      if (ring !== undefined && sqe) body = { c, ring, sqe };
      break;
    }
    case 'nnp': case 'exit': {
      const { pos } = splitArgs(l, args, [], c);
      tooMany(l, pos, `nothing after ${c}`);
      body = { c } as CommandBody;
      if (c === 'exit' && info) info.exitLine = lineNo;
      break;
    }
    case 'setuid': {
      const { pos } = splitArgs(l, args, [], c);
      tooMany(l, pos.slice(1), 'one uid');
      if (!pos[0]) { errors.push(rfError('syntax', 'missing uid', endOf(file, lineNo, tokens), 'a uid (0 to 4294967295)')); break; }
      const uid = l.errors.take(parseValue(pos[0].text, tokLoc(file, lineNo, pos[0]), [], U32));
      if (uid !== undefined) body = { c, uid: Number(uid) };
      break;
    }
    case 'fork': {
      const { pos } = splitArgs(l, args, [], c);
      tooMany(l, pos.slice(1), 'one child task name');
      const child = checkName(file, lineNo, pos[0], 'task name', errors, endOf(file, lineNo, tokens));
      if (child === undefined || !pos[0]) break;
      if (b.tasks.has(child)) {
        errors.push(rfError('name', `task ${child} already exists`, tokLoc(file, lineNo, pos[0]), 'a new task name'));
        break;
      }
      b.tasks.set(child, { forkLine: lineNo, rings: new Set(info?.rings ?? []) });
      if (!b.forkLines.has(child)) b.forkLines.set(child, lineNo);
      body = { c, child };
      break;
    }
  }
  const expect = lx.expect ? expectation(l, c, lx.expect, lx.arrowCol) : undefined;
  if (!body || (lx.expect && !expect)) return;
  const cmd: TraceCommand = { ...body, i: b.trace.commands.length, task, loc, text: lx.text };
  if (expect) cmd.expect = expect;
  b.trace.commands.push(cmd);
}

function restriction(l: Line, t: Token): RestrictionEntry | undefined {
  const expected = 'register_op:OP, sqe_op:OP, sqe_flags_allowed:FLAGS or sqe_flags_required:FLAGS';
  const colon = t.text.indexOf(':');
  if (t.eq >= 0 || colon < 0) {
    l.errors.push(rfError('syntax', `\`${t.text}\` is not a restriction entry`, tokLoc(l.file, l.line, t), expected));
    return undefined;
  }
  const kind = t.text.slice(0, colon);
  const text = t.text.slice(colon + 1);
  const at: SourceLoc = { file: l.file, line: l.line, col: t.col + colon + 1, len: Math.max(1, text.length) };
  let type: number;
  let v: ValueResult<bigint>;
  switch (kind) {
    case 'register_op': type = RESTRICTION.REGISTER_OP; v = parseValue(text, at, ['register_op'], U8); break;
    case 'sqe_op': type = RESTRICTION.SQE_OP; v = parseValue(text, at, ['opcode'], U8); break;
    case 'sqe_flags_allowed': type = RESTRICTION.SQE_FLAGS_ALLOWED; v = parseFlagSet(text, at, ['sqe_flag'], U8); break;
    case 'sqe_flags_required': type = RESTRICTION.SQE_FLAGS_REQUIRED; v = parseFlagSet(text, at, ['sqe_flag'], U8); break;
    default:
      l.errors.push(rfError('syntax', `unknown restriction kind \`${kind}\``, { file: l.file, line: l.line, col: t.col, len: Math.max(1, colon) }, expected));
      return undefined;
  }
  const value = l.errors.take(v);
  return value === undefined ? undefined : { type, value: Number(value) };
}

const BPF_OPTIONS = ['op', 'flags', 'pdu', 'cmd_type', 'cmd_flags', 'resv', 'resv2', 'len', 'nr_args', 'ptr', 'filter_resv'] as const;

function bpfCommand(l: Line, args: Token[], all: Token[], target: (t: Token | undefined) => Target | undefined, b: TraceBuild): CommandBody | undefined {
  const { pos, opts } = splitArgs(l, args, BPF_OPTIONS, 'bpf');
  const tg = target(pos[0]);
  const opTok = opts.get('op');
  let op: bigint | undefined;
  if (!opTok) l.errors.push(rfError('syntax', 'missing op=', endOf(l.file, l.line, all), 'op=OPCODE (the opcode the filter is for)'));
  else op = num(l, opTok, ['opcode'], U32);
  const fTok = opts.get('flags');
  const fl = fTok ? flags(l, fTok, ['filter_flag'], U32) : 0n;
  const pduTok = opts.get('pdu');
  const pdu = pduTok ? num(l, pduTok, [], U8) : null;
  const raw: BpfRaw = {};
  let bad = false;
  const rawNum = (k: string, range: IntRange, set: (v: bigint) => void) => {
    const t = opts.get(k);
    if (!t) return;
    const v = num(l, t, [], range);
    if (v === undefined) bad = true; else set(v);
  };
  rawNum('cmd_type', U16, (v) => { raw.cmd_type = Number(v); });
  rawNum('cmd_flags', U16, (v) => { raw.cmd_flags = Number(v); });
  rawNum('resv', U32, (v) => { raw.resv = Number(v); });
  rawNum('resv2', RAW64, (v) => { raw.resv2 = v; });
  rawNum('len', U32, (v) => { raw.len = Number(v); });
  rawNum('nr_args', U32, (v) => { raw.nr_args = Number(v); });
  rawNum('filter_resv', { min: 0n, max: 0xffffffn, what: 'a 3-byte value (0 to 0xffffff)' }, (v) => { raw.filter_resv = Number(v); });
  const ptr = opts.get('ptr');
  if (ptr) {
    if (val(ptr) === 'null') raw.ptrNull = true;
    else { bad = true; l.errors.push(rfError('syntax', `ptr=${val(ptr)} is not supported`, valLoc(l.file, l.line, ptr), 'ptr=null')); }
  }

  // The program: one name, or one or more quads.
  const progToks = pos.slice(1);
  let program = '';
  let insns: Insn[] | undefined;
  if (progToks.length === 0) {
    l.errors.push(rfError('syntax', 'missing program', endOf(l.file, l.line, all), 'a program name, allow, deny, or code:jt:jf:k quads'));
  } else if (progToks.length === 1 && !QUAD.test(progToks[0].text)) {
    const t = progToks[0];
    program = t.text;
    if (!NAME_RE.test(t.text) || t.quoted) {
      l.errors.push(rfError('syntax', `\`${t.text}\` is not a program`, tokLoc(l.file, l.line, t), 'a program name, allow, deny, or code:jt:jf:k quads'));
    } else {
      const decl = BUILTIN_PROGRAMS.get(t.text) ?? b.trace.programs.get(t.text)?.insns;
      if (decl) insns = decl;
      else b.unknownPrograms.push({ name: t.text, loc: tokLoc(l.file, l.line, t) });
    }
  } else {
    const out: Insn[] = [];
    for (const t of progToks) {
      const q = l.errors.take(parseQuad(t.text, tokLoc(l.file, l.line, t)));
      if (q) out.push(q);
    }
    program = progToks.map((t) => t.text).join(' ');
    if (out.length === progToks.length) insns = out;
  }
  if (!tg || op === undefined || fl === undefined || pdu === undefined || bad || !insns) return undefined;
  return { c: 'bpf', target: tg, op: Number(op), flags: Number(fl), pdu: pdu === null ? null : Number(pdu), program, insns, raw };
}

// ---------------------------------------------------------------------------
// SQEs

const RAW_FIELDS = ['fd', 'off', 'addr', 'len', 'opf', 'ioprio', 'buf', 'pers', 'fidx', 'addr3'] as const;
const SOCKET_FIELDS = ['domain', 'type', 'protocol'] as const;
const OPEN_FIELDS = ['dfd', 'path', 'oflags', 'mode'] as const;
const OPEN2_FIELDS = [...OPEN_FIELDS, 'resolve'] as const;
const SOCKADDR_FIELDS = ['family', 'port', 'addr4', 'addr6', 'unix', 'addrlen'] as const;
const SQE_OPTIONS = ['op', 'ud', 'flags', ...RAW_FIELDS, ...SOCKET_FIELDS, ...OPEN2_FIELDS, ...SOCKADDR_FIELDS] as const;

/** Which opcodes each named field belongs to, and the raw field(s) it lowers to. */
const NAMED: Record<string, { ops: number[]; opsText: string; raw: string[] }> = {
  domain: { ops: [OP.SOCKET], opsText: 'SOCKET', raw: ['fd'] },
  type: { ops: [OP.SOCKET], opsText: 'SOCKET', raw: ['off'] },
  protocol: { ops: [OP.SOCKET], opsText: 'SOCKET', raw: ['len'] },
  dfd: { ops: [OP.OPENAT, OP.OPENAT2], opsText: 'OPENAT and OPENAT2', raw: ['fd'] },
  path: { ops: [OP.OPENAT, OP.OPENAT2], opsText: 'OPENAT and OPENAT2', raw: ['addr'] },
  oflags: { ops: [OP.OPENAT, OP.OPENAT2], opsText: 'OPENAT and OPENAT2', raw: [] },
  mode: { ops: [OP.OPENAT, OP.OPENAT2], opsText: 'OPENAT and OPENAT2', raw: [] },
  resolve: { ops: [OP.OPENAT2], opsText: 'OPENAT2', raw: [] },
  ...Object.fromEntries(SOCKADDR_FIELDS.map((f) => [f, { ops: [OP.CONNECT, OP.BIND], opsText: 'CONNECT and BIND', raw: ['addr', 'off'] }])),
};

function sqeSpec(l: Line, opts: Map<string, Token>, index: bigint, missingAt: SourceLoc): SqeSpec | undefined {
  const before = l.errors.list.length;
  const opTok = opts.get('op');
  let opcode: number | undefined;
  if (!opTok) l.errors.push(rfError('syntax', 'missing op=', missingAt, 'op=OPCODE'));
  else { const v = num(l, opTok, ['opcode'], U8); if (v !== undefined) opcode = Number(v); }

  const sqe: SqeSpec = {
    opcode: opcode ?? 0, flags: 0, ud: index, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n,
  };
  const all = ALL_KINDS;
  const get = (k: string) => opts.get(k);
  let t: Token | undefined;
  if ((t = get('ud'))) { const v = num(l, t, [], RAW64); if (v !== undefined) sqe.ud = v; }
  if ((t = get('flags'))) { const v = flags(l, t, ['sqe_flag'], U8); if (v !== undefined) sqe.flags = Number(v); }
  if ((t = get('fd'))) { const v = num(l, t, all, S32, { fdcwd: true }); if (v !== undefined) sqe.fd = Number(v); }
  if ((t = get('off'))) { const v = num(l, t, all, RAW64); if (v !== undefined) sqe.off = v; }
  if ((t = get('addr'))) { const v = num(l, t, all, RAW64); if (v !== undefined) sqe.addr = v; }
  if ((t = get('addr3'))) { const v = num(l, t, all, RAW64); if (v !== undefined) sqe.addr3 = v; }
  if ((t = get('len'))) { const v = num(l, t, all, RAW32); if (v !== undefined) sqe.len = Number(v); }
  if ((t = get('opf'))) { const v = flags(l, t, ['open_flag', 'sock'], U32); if (v !== undefined) sqe.opf = Number(v); }
  if ((t = get('ioprio'))) { const v = num(l, t, [], RAW16); if (v !== undefined) sqe.ioprio = Number(v); }
  if ((t = get('buf'))) { const v = num(l, t, [], RAW16); if (v !== undefined) sqe.buf = Number(v); }
  if ((t = get('pers'))) { const v = num(l, t, [], RAW16); if (v !== undefined) sqe.pers = Number(v); }
  if ((t = get('fidx'))) { const v = num(l, t, [], RAW32); if (v !== undefined) sqe.fidx = Number(v); }

  // Named fields: only for their opcodes, never together with the raw field they set.
  for (const [name, spec] of Object.entries(NAMED)) {
    const nt = get(name);
    if (!nt) continue;
    if (opcode !== undefined && !spec.ops.includes(opcode)) {
      l.errors.push(rfError('syntax', `\`${name}=\` is a field of ${spec.opsText}`, { file: l.file, line: l.line, col: nt.col, len: name.length + 1 },
        `raw fields (${RAW_FIELDS.join(' ')}) for this opcode`));
      continue;
    }
    for (const r of spec.raw) {
      const rt = get(r);
      if (rt) l.errors.push(rfError('syntax', `\`${name}=\` and \`${r}=\` both set the SQE's ${r}`, tokLoc(l.file, l.line, rt), `either ${name}= or ${r}=`));
    }
  }
  if (opcode === OP.SOCKET) {
    if ((t = get('domain'))) { const v = num(l, t, ['af'], S32); if (v !== undefined) sqe.fd = Number(v); }
    if ((t = get('type'))) { const v = flags(l, t, ['sock'], U32); if (v !== undefined) sqe.off = v; }
    if ((t = get('protocol'))) { const v = num(l, t, ['ipproto'], RAW32); if (v !== undefined) sqe.len = Number(v); }
  }
  if (opcode === OP.OPENAT || opcode === OP.OPENAT2) {
    if (!get('fd')) sqe.fd = AT_FDCWD;
    if ((t = get('dfd'))) { const v = num(l, t, [], S32, { fdcwd: true }); if (v !== undefined) sqe.fd = Number(v); }
    if ((t = get('path'))) { sqe.path = val(t); sqe.addr = PATH_PTR; }
    const of = get('oflags');
    const md = get('mode');
    const oflags = of ? flags(l, of, ['open_flag'], opcode === OP.OPENAT ? U32 : RAW64) : 0n;
    const mode = md ? num(l, md, [], opcode === OP.OPENAT ? U32 : RAW64) : 0n;
    if (opcode === OP.OPENAT) {
      for (const [nt, raw] of [[of, 'opf'], [md, 'len']] as const) {
        const rt = get(raw);
        if (nt && rt) l.errors.push(rfError('syntax', `\`${key(nt)}=\` and \`${raw}=\` both set the SQE's ${raw}`, tokLoc(l.file, l.line, rt), `either ${key(nt)}= or ${raw}=`));
      }
      if (oflags !== undefined && of) sqe.opf = Number(oflags);
      if (mode !== undefined && md) sqe.len = Number(mode);
    } else {
      const rs = get('resolve');
      const resolve = rs ? flags(l, rs, ['resolve'], RAW64) : 0n;
      // open_how is built unless the trace sets off= or len= itself (then it is raw).
      const rawHow = get('off') ?? get('len');
      if (rawHow && (of || md || rs)) {
        l.errors.push(rfError('syntax', `\`${key(rawHow)}=\` and the open_how fields (oflags= mode= resolve=) both set the SQE's ${key(rawHow)}`, tokLoc(l.file, l.line, rawHow), 'either raw off=/len= or oflags=/mode=/resolve='));
      } else if (!rawHow && oflags !== undefined && mode !== undefined && resolve !== undefined) {
        sqe.how = { flags: oflags, mode, resolve };
        sqe.off = OPEN_HOW_PTR;
        sqe.len = OPEN_HOW_SIZE;
      }
    }
  }
  if (opcode === OP.CONNECT || opcode === OP.BIND) {
    const s: SockaddrSpec = {};
    let any = false;
    if ((t = get('family'))) { any = true; const v = num(l, t, ['af'], U16); if (v !== undefined) s.family = Number(v); }
    if ((t = get('port'))) { any = true; const v = num(l, t, [], U16); if (v !== undefined) s.port = Number(v); }
    if ((t = get('addrlen'))) { any = true; const v = num(l, t, [], S32); if (v !== undefined) s.addrlen = Number(v); }
    const a4 = get('addr4'); const a6 = get('addr6'); const un = get('unix');
    const given = [a4, a6, un].filter((x): x is Token => x !== undefined);
    if (given.length > 1) {
      l.errors.push(rfError('syntax', 'more than one address', tokLoc(l.file, l.line, given[1]), 'one of addr4=, addr6=, unix='));
    }
    if (a4) { any = true; const v = parseIPv4(val(a4)); if (v) s.addr4 = v; else l.errors.push(rfError('syntax', `\`${val(a4)}\` is not an IPv4 address`, valLoc(l.file, l.line, a4), 'a dotted quad such as 127.0.0.1')); }
    if (a6) { any = true; const v = parseIPv6(val(a6)); if (v) s.addr6 = v; else l.errors.push(rfError('syntax', `\`${val(a6)}\` is not an IPv6 address`, valLoc(l.file, l.line, a6), 'an IPv6 address such as ::1')); }
    if (un) { any = true; s.unix = val(un); }
    if (any) {
      const { bytes, addrlen } = buildSockaddr(s);
      sqe.sockaddr = bytes;
      sqe.addr = SOCKADDR_PTR;
      sqe.off = BigInt.asUintN(64, BigInt(addrlen)); // io_connect_prep/io_bind_prep read addr_len from addr2
    }
  }
  return l.errors.list.length === before && opcode !== undefined ? sqe : undefined;
}

const ALL_KINDS: readonly SymbolKind[] = ['af', 'sock', 'ipproto', 'open_flag', 'resolve', 'opcode'];

// ---------------------------------------------------------------------------
// Expectations

function retValue(l: Line, t: Token): number | undefined {
  const loc = tokLoc(l.file, l.line, t);
  // A bare errno name means its negative (`=> EACCES` is -13).
  const text = /^[A-Z]/.test(t.text) ? '-' + t.text : t.text;
  const v = l.errors.take(parseValue(text, loc, ['errno'], { ...S32, what: 'a return value (0, 3, -EACCES, EACCES)' }));
  return v === undefined ? undefined : Number(v);
}

function expectation(l: Line, c: string, toks: Token[], arrowCol: number): Expectation | undefined {
  const first = toks[0];
  const text = toks.map((t) => t.text).join(' ');
  const loc: SourceLoc = { file: l.file, line: l.line, col: arrowCol, len: 2 };
  const before = l.errors.list.length;
  if (!first) {
    l.errors.push(rfError('syntax', 'empty expectation', loc, c === 'cqes' ? 'ud:res pairs or none' : 'a return value'));
    return undefined;
  }
  const eloc: SourceLoc = { file: l.file, line: l.line, col: first.col, len: toks[toks.length - 1].col + toks[toks.length - 1].len - first.col };
  if (c === 'cqes') {
    if (first.text === 'none') {
      tooMany(l, toks.slice(1), 'nothing after none');
      return l.errors.list.length === before ? { kind: 'none', loc: eloc, text } : undefined;
    }
    const cqes: { ud: bigint; res: number | 'fd' }[] = [];
    for (const t of toks) {
      const at = tokLoc(l.file, l.line, t);
      const colon = t.text.indexOf(':');
      if (colon < 0 || t.eq >= 0) {
        l.errors.push(rfError('syntax', `\`${t.text}\` is not a CQE`, at, 'ud:res, e.g. 1:0, 2:-EACCES, 3:fd, or none'));
        continue;
      }
      const udText = t.text.slice(0, colon);
      const resText = t.text.slice(colon + 1);
      const ud = l.errors.take(parseValue(udText, { ...at, len: Math.max(1, udText.length) }, [], RAW64));
      let res: number | 'fd' | undefined;
      if (resText === 'fd') res = 'fd';
      else {
        const resTok: Token = { ...t, text: resText, col: t.col + colon + 1, len: resText.length };
        res = retValue(l, resTok);
      }
      if (ud !== undefined && res !== undefined) cqes.push({ ud, res });
    }
    return l.errors.list.length === before ? { kind: 'cqes', cqes, loc: eloc, text } : undefined;
  }
  if (first.text === 'none' || (first.text.includes(':') && first.eq < 0)) {
    l.errors.push(rfError('syntax', `\`${first.text}\` describes CQEs; ${c} has none`, tokLoc(l.file, l.line, first), c === 'sqe' ? 'the number of SQEs now queued' : 'a return value'));
    return undefined;
  }
  if (first.eq >= 0) {
    l.errors.push(rfError('syntax', `missing return value before \`${first.text}\``, tokLoc(l.file, l.line, first), 'a return value first, e.g. => 0 pdu=12'));
    return undefined;
  }
  const ret = retValue(l, first);
  const allowed = c === 'bpf' ? ['pdu'] : c === 'submit' ? ['left'] : [];
  const { pos, opts } = splitArgs(l, toks.slice(1), allowed, `the expectation of ${c}`);
  tooMany(l, pos, allowed.length ? allowed.map((a) => a + '=N').join(' or ') : 'nothing after the return value');
  const e: Expectation = { kind: 'ret', ret: ret ?? 0, loc: eloc, text };
  const p = opts.get('pdu');
  if (p) { const v = num(l, p, [], U8); if (v !== undefined) e.pdu = Number(v); }
  const lf = opts.get('left');
  if (lf) { const v = num(l, lf, [], U32); if (v !== undefined) e.left = Number(v); }
  return l.errors.list.length === before ? e : undefined;
}
