// The policy text form (docs/policy.md): one statement per line.
//
//   policy NAME holder=task|ring kernels=7.0..7.3
//   allow OP[, OP...] [if COND]      deny OP[, OP...] [if COND]
//   deny rest | allow rest
//   sqe ops OP, ...    sqe flags allowed=FLAGS [required=FLAGS]    register ops OP, ...
//
// Every error says file:line:col and what was expected; parsing goes on with the next
// line so one run reports every bad line.

import { rfError, type RfError, type Result, type SourceLoc } from '../errors.ts';
import { lookupSymbol, type SymbolKind } from '../abi/symbols.ts';
import { IORING_OP_LAST, opcodeName } from '../abi/opcodes.ts';
import { PROFILE_NAMES, type ProfileName } from '../profile/profiles.ts';
import type { CmpOp, Cond, Item, Policy, Rule } from './ast.ts';
import { fieldsOf, findPolicyField, OPCODE_MEMBER, type PolicyField } from './fields.ts';
import { lexLine, type Token } from './lex.ts';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const CMP: readonly string[] = ['==', '!=', '<', '<=', '>', '>='];

class Fail { constructor(readonly error: RfError) {} }

/** A cursor over one line's tokens. */
class Line {
  i = 0;
  constructor(readonly file: string, readonly line: number, readonly toks: Token[], readonly end: number) {}
  peek(): Token | undefined { return this.toks[this.i]; }
  loc(t = this.peek()): SourceLoc { return { file: this.file, line: this.line, col: t ? t.col : this.end, len: t ? t.text.length : 1 }; }
  fail(kind: RfError['kind'], msg: string, expected?: string, t = this.peek()): never { throw new Fail(rfError(kind, msg, this.loc(t), expected)); }
  next(expected: string): Token {
    const t = this.peek();
    if (!t) this.fail('syntax', 'the line ends too early', expected);
    this.i++;
    return t;
  }
  isWord(w: string): boolean { const t = this.peek(); return !!t && t.t === 'word' && t.text === w; }
  isPunct(p: string): boolean { const t = this.peek(); return !!t && t.t === 'punct' && t.text === p; }
  word(w: string): void { if (!this.isWord(w)) this.fail('syntax', this.peek() ? `unexpected \`${this.peek()!.text}\`` : 'the line ends too early', `\`${w}\``); this.i++; }
  punct(p: string, expected = `\`${p}\``): void { if (!this.isPunct(p)) this.fail('syntax', this.peek() ? `unexpected \`${this.peek()!.text}\`` : 'the line ends too early', expected); this.i++; }
  done(expected: string): void { if (this.peek()) this.fail('syntax', `unexpected \`${this.peek()!.text}\``, expected); }
}

function parseNumber(text: string): number | undefined {
  const n = /^0[oO]/.test(text) ? parseInt(text.slice(2), 8) : Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A number or a name of one of `kinds`. */
function value(l: Line, kinds: readonly SymbolKind[], max: number, what: string, ipv4 = false): number {
  const t = l.next(what);
  let v: number | undefined;
  if (t.t === 'num') {
    if (/^0[0-9]/.test(t.text)) l.fail('syntax', `\`${t.text}\` has a leading zero: decimal or octal is ambiguous`, 'a decimal number, or octal written 0o...', t);
    v = parseNumber(t.text);
  } else if (t.t === 'ip' && ipv4) {
    const parts = t.text.split('.').map(Number);
    if (parts.some((x) => x > 255)) l.fail('range', `${t.text} is not an IPv4 address`, 'four numbers 0..255', t);
    v = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  } else if (t.t === 'word') {
    v = lookupSymbol(t.text, kinds);
    if (v === undefined) l.fail('name', `unknown name \`${t.text}\``, what, t);
  } else l.fail('syntax', `unexpected \`${t.text}\``, what, t);
  if (v === undefined || v < 0 || v > max) l.fail('range', `${t.text} is out of range`, `${what}, at most ${max}`, t);
  return v!;
}

/** NAME|NAME|0x10 */
function flagSet(l: Line, kinds: readonly SymbolKind[], max: number, what: string): number {
  let acc = value(l, kinds, max, what);
  while (l.isPunct('|')) { l.i++; acc = (acc | value(l, kinds, max, what)) >>> 0; }
  if (acc > max) l.fail('range', 'the flags are out of range', what);
  return acc >>> 0;
}

function opcodeList(l: Line, kind: 'opcode' | 'register_op', what: string): { ops: number[]; toks: Token[] } {
  const ops: number[] = [], toks: Token[] = [];
  for (;;) {
    const t = l.peek();
    const v = value(l, [kind], kind === 'opcode' ? IORING_OP_LAST - 1 : 0xff, what);
    ops.push(v); toks.push(t!);
    if (!l.isPunct(',')) break;
    l.i++;
  }
  return { ops, toks };
}

function fieldWords(op: number): string {
  const fs = fieldsOf(op);
  return fs.length ? `a field of ${opcodeName(op)}: ${fs.map((f) => f.name).join(', ')}` : 'nothing: this opcode passes no payload';
}

/**
 * How big one condition may be. Past these the later passes (which walk the tree
 * recursively) could run out of stack, and no cBPF program (4,096 instructions,
 * jumps of at most 255) could hold the condition anyway.
 */
export const MAX_NESTING = 32;
export const MAX_COMPARISONS = 1024;

interface Size { depth: number; atoms: number }

/** COND := OR; OR := AND ('or' AND)*; AND := UNARY ('and' UNARY)*; UNARY := 'not' UNARY | '(' COND ')' | ATOM */
function cond(l: Line, ops: number[], n: Size = { depth: 0, atoms: 0 }): Cond {
  let c = conj(l, ops, n);
  while (l.isWord('or')) { const loc = l.loc(); l.i++; c = { k: 'or', a: c, b: conj(l, ops, n), loc }; }
  return c;
}
function conj(l: Line, ops: number[], n: Size): Cond {
  let c = unary(l, ops, n);
  while (l.isWord('and')) { const loc = l.loc(); l.i++; c = { k: 'and', a: c, b: unary(l, ops, n), loc }; }
  return c;
}
function unary(l: Line, ops: number[], n: Size): Cond {
  const nested = l.isWord('not') || l.isPunct('(');
  if (nested && n.depth >= MAX_NESTING) l.fail('range', `the condition nests deeper than ${MAX_NESTING} levels of \`not\` and \`(\``, `at most ${MAX_NESTING} levels`, l.peek());
  if (l.isWord('not')) { const loc = l.loc(); l.i++; n.depth++; const x = unary(l, ops, n); n.depth--; return { k: 'not', x, loc }; }
  if (l.isPunct('(')) { l.i++; n.depth++; const c = cond(l, ops, n); n.depth--; l.punct(')', '`)` or `and`/`or`'); return c; }
  if (++n.atoms > MAX_COMPARISONS) l.fail('range', `the condition has more than ${MAX_COMPARISONS} comparisons`, `at most ${MAX_COMPARISONS}; split it with \`in {...}\` sets or ranges`, l.peek());
  return atom(l, ops);
}

function atom(l: Line, ops: number[]): Cond {
  const t = l.next(fieldWords(ops[0]));
  if (t.t !== 'word') l.fail('syntax', `unexpected \`${t.text}\``, fieldWords(ops[0]), t);
  let f: PolicyField | undefined;
  for (const op of ops) {
    f = findPolicyField(op, t.text);
    if (!f) {
      const has = OPCODE_MEMBER[op] !== undefined;
      l.fail('name', has ? `${opcodeName(op)} has no field \`${t.text}\`` : `${opcodeName(op)} passes no payload to filters, so a condition cannot name \`${t.text}\``, fieldWords(op), t);
    }
  }
  const field = f!;
  const loc = l.loc(t);
  const what = `a value of ${field.name}${field.kinds.length ? ` (a number or a name such as ${exampleName(field)})` : field.ipv4 ? ' (a dotted IPv4 address or a number)' : ' (a number)'}`;
  const rangeNote = field.mask !== undefined ? `; ${field.name} is compared as type & SOCK_TYPE_MASK, so SOCK_NONBLOCK/SOCK_CLOEXEC cannot be named` : '';
  const val = () => value(l, field.kinds, field.max, what + rangeNote, field.ipv4);
  const op = l.peek();
  if (op && op.t === 'punct' && CMP.includes(op.text)) {
    l.i++;
    if (field.eqOnly && op.text !== '==' && op.text !== '!=') l.fail('invalid', `${field.name} can only be compared with == or != (or in {...})`, '`==`, `!=`, `in`', op);
    return { k: 'cmp', field: field.name, op: op.text as CmpOp, value: val(), loc };
  }
  let negated = false;
  if (l.isWord('not')) { l.i++; negated = true; if (!l.isWord('in')) l.fail('syntax', 'expected `in` after `not`', '`in`'); }
  if (l.isWord('in')) {
    l.i++;
    l.punct('{', '`{`');
    const items: Item[] = [];
    for (;;) {
      const first = l.peek();
      const lo = val();
      let hi = lo;
      if (l.isPunct('..')) {
        if (field.eqOnly) l.fail('invalid', `${field.name} takes no ranges`, 'a single value');
        l.i++; hi = val();
        if (hi < lo) l.fail('range', `the range ${lo}..${hi} is empty`, 'LOW..HIGH with LOW <= HIGH', first);
      }
      items.push({ lo, hi });
      if (l.isPunct(',')) { l.i++; continue; }
      l.punct('}', '`,` or `}`');
      break;
    }
    return { k: 'in', field: field.name, negated, items, loc };
  }
  if (l.isWord('has') || l.isWord('lacks')) {
    const k = l.next('').text as 'has' | 'lacks';
    if (field.eqOnly || field.mask !== undefined) l.fail('invalid', `${field.name} is not a set of flag bits`, '`==`, `!=`, `in`');
    const bits = flagSet(l, field.kinds, field.max, what);
    if (bits === 0) l.fail('invalid', `\`${k}\` needs at least one bit`, 'a non-zero flag set');
    return { k, field: field.name, bits, loc };
  }
  return l.fail('syntax', l.peek() ? `unexpected \`${l.peek()!.text}\`` : 'the condition ends too early', 'a comparison (== != < <= > >=), `in {...}`, `not in {...}`, `has` or `lacks`');
}

function exampleName(f: PolicyField): string {
  return { af: 'AF_INET', sock: 'SOCK_STREAM', ipproto: 'IPPROTO_TCP', open_flag: 'O_CREAT', resolve: 'RESOLVE_BENEATH' }[f.kinds[0] as string] ?? f.kinds[0];
}

/** `7.0..7.3`, `7.2,7.3`, `6.18,7.0..7.1`: profiles in PROFILE_NAMES order. */
export function parseKernels(text: string): ProfileName[] | string {
  const order = PROFILE_NAMES;
  const out: ProfileName[] = [];
  for (const part of text.split(',')) {
    const [a, b, extra] = part.split('..');
    if (extra !== undefined) return part;
    const ia = order.indexOf(a as ProfileName), ib = b === undefined ? ia : order.indexOf(b as ProfileName);
    if (ia < 0 || ib < 0 || ib < ia) return part;
    for (let i = ia; i <= ib; i++) if (!out.includes(order[i])) out.push(order[i]);
  }
  return out;
}

function header(file: string, n: number, text: string): Pick<Policy, 'name' | 'holder' | 'kernels' | 'locs'> {
  const parts = [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], col: (m.index ?? 0) + 1 }));
  const loc = (p: { text: string; col: number }): SourceLoc => ({ file, line: n, col: p.col, len: p.text.length });
  const fail = (p: { text: string; col: number } | undefined, msg: string, expected: string): never => {
    throw new Fail(rfError('syntax', msg, p ? loc(p) : { file, line: n, col: text.length + 1 }, expected));
  };
  if (!parts[1]) fail(undefined, 'the policy has no name', 'policy NAME holder=task|ring kernels=LIST');
  if (!NAME_RE.test(parts[1].text)) fail(parts[1], `\`${parts[1].text}\` is not a name`, 'a name ([A-Za-z_][A-Za-z0-9_.-]*)');
  let holder: 'task' | 'ring' | undefined, kernels: ProfileName[] | undefined;
  const locs: Policy['locs'] = { header: loc(parts[0]) };
  for (const p of parts.slice(2)) {
    if (p.text.startsWith('#')) break;
    const [k, v] = p.text.split('=', 2);
    if (k === 'holder' && (v === 'task' || v === 'ring')) { holder = v; locs.holder = loc(p); }
    else if (k === 'holder') fail(p, `unknown holder \`${v ?? ''}\``, '`holder=task` or `holder=ring`');
    else if (k === 'kernels' && v) {
      const ks = parseKernels(v);
      if (typeof ks === 'string') fail(p, `\`${ks}\` is not a kernel profile or range`, `profiles (${PROFILE_NAMES.join(', ')}) as a list or LOW..HIGH`);
      kernels = ks as ProfileName[]; locs.kernels = loc(p);
    } else fail(p, `unexpected \`${p.text}\``, '`holder=task|ring` or `kernels=LIST`');
  }
  if (!holder) fail(undefined, 'the policy names no holder', '`holder=task` or `holder=ring`');
  if (!kernels) fail(undefined, 'the policy names no target kernels', '`kernels=7.0..7.3` (a list or a range)');
  return { name: parts[1].text, holder: holder!, kernels: kernels!, locs };
}

export function parsePolicy(file: string, source: string): Result<Policy, RfError[]> {
  const errors: RfError[] = [];
  let policy: Policy | undefined;
  const lines = source.split('\n');
  const ruleAt = new Map<number, Rule>();
  lines.forEach((text, idx) => {
    const n = idx + 1;
    try {
      if (!policy && /^\s*policy(\s|$)/.test(text)) {
        policy = { name: '', holder: 'task', kernels: [], rules: [], rest: 'allow' };
        Object.assign(policy, header(file, n, text.replace(/#.*$/, '')));
        return;
      }
      const lx = lexLine(file, n, text);
      if (!lx.ok) throw new Fail(lx.error);
      if (lx.tokens.length === 0) return;
      const l = new Line(file, n, lx.tokens, text.length + 1);
      const first = l.peek()!;
      if (!policy) {
        policy = { name: '', holder: 'task', kernels: [], rules: [], rest: 'allow' };
        l.fail('syntax', 'a policy file starts with its header', 'policy NAME holder=task|ring kernels=LIST');
      }
      const p = policy;
      if (first.text === 'policy') l.fail('syntax', 'a second policy header', 'one policy per file');
      if ((first.text === 'allow' || first.text === 'deny') && l.toks[1]?.text === 'rest') {
        l.i = 2; l.done('the end of the line');
        if (p.locs?.rest) l.fail('invalid', 'the default is stated twice', 'one `deny rest` or `allow rest`', first);
        p.rest = first.text; p.locs = { ...p.locs, rest: l.loc(first) };
        return;
      }
      if (first.text === 'allow' || first.text === 'deny') {
        l.i = 1;
        const { ops, toks } = opcodeList(l, 'opcode', 'an opcode name (READ, SOCKET, ...)');
        let c: Cond | undefined;
        if (l.isWord('if')) { l.i++; c = cond(l, ops); }
        l.done(c ? '`and`, `or` or the end of the line' : '`,`, `if` or the end of the line');
        ops.forEach((op, j) => {
          const prev = ruleAt.get(op);
          if (prev) {
            const pl = prev.loc!;
            throw new Fail(rfError('invalid', `a second rule for ${opcodeName(op)} contradicts or repeats the one at ${pl.file}:${pl.line}:${pl.col}`, { file, line: n, col: toks[j].col, len: toks[j].text.length }, 'one rule per opcode (combine conditions with `or`)'));
          }
          const r: Rule = { opcode: op, action: first.text as 'allow' | 'deny', loc: { file, line: n, col: toks[j].col, len: toks[j].text.length } };
          if (c) r.cond = c;
          ruleAt.set(op, r);
          p.rules.push(r);
        });
        return;
      }
      /** `sqe ops ...` and `register ops ...`: a legacy allow list, sorted, without repeats, stated once. */
      const allowList = (key: 'sqeOps' | 'registerOps', kind: 'opcode' | 'register_op', what: string, expected: string): void => {
        l.i = 2;
        if (p[key]) l.fail('invalid', `the ${what} allow list is stated twice`, `one \`${first.text} ops\` line`, first);
        p[key] = [...new Set(opcodeList(l, kind, expected).ops)].sort((a, b) => a - b);
        l.done('`,` or the end of the line');
        p.locs = { ...p.locs, [key]: l.loc(first) };
      };
      if (first.text === 'sqe' && l.toks[1]?.text === 'ops') return allowList('sqeOps', 'opcode', 'SQE op', 'an opcode name (READ, SOCKET, ...)');
      if (first.text === 'sqe' && l.toks[1]?.text === 'flags') {
        l.i = 2;
        if (p.sqeFlags) l.fail('invalid', 'the SQE flag masks are stated twice', 'one `sqe flags` line', first);
        const fl = { allowed: 0, required: 0 };
        const seen = new Set<string>();
        while (l.peek()) {
          const k = l.next('`allowed=` or `required=`');
          if (k.t !== 'word' || (k.text !== 'allowed' && k.text !== 'required') || seen.has(k.text)) l.fail('syntax', `unexpected \`${k.text}\``, '`allowed=FLAGS` or `required=FLAGS`, each once', k);
          seen.add(k.text);
          l.punct('=');
          fl[k.text as 'allowed' | 'required'] = flagSet(l, ['sqe_flag'], 0xff, 'SQE flags (IO_LINK|ASYNC, ..., or 0)');
        }
        if (!seen.size) l.fail('syntax', 'the line ends too early', '`allowed=FLAGS` or `required=FLAGS`');
        p.sqeFlags = fl;
        p.locs = { ...p.locs, sqeFlags: l.loc(first) };
        return;
      }
      if (first.text === 'register' && l.toks[1]?.text === 'ops') return allowList('registerOps', 'register_op', 'register op', 'a register op name (ENABLE_RINGS, BPF_FILTER, ...)');
      l.fail('syntax', `unexpected \`${first.text}\``, '`allow`, `deny`, `allow rest`, `deny rest`, `sqe ops`, `sqe flags` or `register ops`', first);
    } catch (e) {
      if (e instanceof Fail) errors.push(e.error); else throw e;
    }
  });
  if (!policy && errors.length === 0) errors.push(rfError('syntax', 'the file holds no policy', { file, line: 1, col: 1 }, 'policy NAME holder=task|ring kernels=LIST'));
  if (errors.length) return { ok: false, error: errors };
  return { ok: true, value: policy! };
}
