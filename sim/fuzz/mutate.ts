// Mutations of text inputs (traces, filter sources, policies) and of binary filter
// files. Text mutations work on characters, tokens and lines, and splice lines of
// other seeds of the same kind in, so that most mutants still get past the lexer
// and reach the parser, the checks and the model behind them.

import type { Rng } from './rng.ts';

/** Numbers that sit on a boundary of some field (u8, u16, u32, s32, u64, float). */
const NUMBERS = [
  '0', '1', '-1', '7', '8', '255', '256', '65535', '65536', '2147483647', '2147483648', '-2147483648',
  '4294967295', '4294967296', '18446744073709551615', '18446744073709551616', '99999999999999999999999',
  '0x', '0x0', '0xffffffff', '0x100000000', '0b1', '0o7', '010', '1e3', '1e309', '-0', 'NaN', 'Infinity', '1.5',
];

const PUNCT = [':', ',', '#', '=', '=>', '[', ']', '{', '}', '(', ')', '|', '@', '-', '+', '*', '"', "'", '\\', '/', ';', '\t', '\r', '\n', ' ', '\u0000', '\u0001', '\u00ff', '\u2028', '\ufeff', 'é'];

export interface Dictionary {
  /** Words of the input's language (commands, mnemonics, field and constant names). */
  words: readonly string[];
}

export const TRACE_WORDS = [
  'trace', 'end', 'program', 'kernels=', 'ring', 'close', 'restrict', 'enable', 'register', 'bpf', 'sqe', 'submit', 'cqes',
  'nnp', 'setuid', 'fork', 'exit', 'task', '@t1', '@init', 'r0', 'r1', 'op=', 'ud=', 'flags=', 'entries=', 'pdu=', 'fd=', 'off=',
  'len=', 'addr=', 'domain=', 'type=', 'protocol=', 'allow', 'deny', 'DENY_REST', 'R_DISABLED', 'SUBMIT_ALL', 'SQPOLL', 'IO_LINK',
  'IO_HARDLINK', 'CQE_SKIP_SUCCESS', 'NOP', 'SOCKET', 'OPENAT', 'CONNECT', 'AF_INET', 'AF_UNIX', 'SOCK_STREAM', 'register_op:',
  'sqe_op:', 'sqe_flags_allowed:', 'sqe_flags_required:', 'PROBE', 'BPF_FILTER', '-EACCES', '-EINVAL', 'left=', 'none', 'fd',
  '=> 0', '=> -EPERM', 'kernels=7.0,7.3', 'kernels=6.18', 'kernels=v5', 'kernels=all', 'raw', 'cmd_type=', 'nr_args=',
];

export const BPF_WORDS = [
  'ld', 'ldh', 'ldb', 'ldx', 'ldxb', 'st', 'stx', 'add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'lsh', 'rsh', 'neg',
  'jmp', 'ja', 'jeq', 'jne', 'jneq', 'jlt', 'jle', 'jgt', 'jge', 'jset', 'ret', 'tax', 'txa', 'a', 'x', '#', '#len', 'len',
  'M[0]', 'M[15]', 'M[16]', '[0]', '[4]', '[x+0]', '4*([0]&0xf)', '[socket.family]', '[opcode]', '[user_data]', '[pdu_size]',
  '#AF_INET', '#SOCK_STREAM', '#O_CREAT|O_TRUNC', 'AF_INET', 'label:', 'drop', 'keep', '#0', '#1', '#-1', '#0xffffffff',
  '{', '}', '0x06', '0x15', 'BPF_RET', 'BPF_K', '|',
];

export const POLICY_WORDS = ['allow', 'deny', 'if', 'and', 'or', 'not', 'op', 'SOCKET', 'OPENAT', 'NOP', 'family', '==', '!=', 'in', '{', '}', 'AF_INET', 'task', 'ring', 'for', 'policy', 'end', ';'];

function lines(t: string): string[] {
  return t.split('\n');
}

/** One text mutation. `others` are seeds of the same kind, for splicing. */
function mutateTextOnce(t: string, rng: Rng, dict: Dictionary, others: readonly string[]): string {
  const at = rng.int(t.length + 1);
  switch (rng.int(12)) {
    case 0: { // a character replaced by anything
      const c = rng.chance(0.5) ? rng.pick(PUNCT) : String.fromCharCode(rng.int(256));
      return t.slice(0, at) + c + t.slice(at + 1);
    }
    case 1: // a range deleted
      return t.slice(0, at) + t.slice(at + 1 + rng.int(16));
    case 2: // a word of the language inserted
      return t.slice(0, at) + (rng.chance(0.5) ? ' ' : '') + rng.pick(dict.words) + (rng.chance(0.5) ? ' ' : '') + t.slice(at);
    case 3: // punctuation inserted
      return t.slice(0, at) + rng.pick(PUNCT) + t.slice(at);
    case 4: { // a number replaced by a boundary value
      const nums = [...t.matchAll(/-?\b(0x[0-9a-fA-F]+|\d+)\b/g)];
      if (!nums.length) return t.slice(0, at) + rng.pick(NUMBERS) + t.slice(at);
      const m = rng.pick(nums);
      return t.slice(0, m.index!) + rng.pick(NUMBERS) + t.slice(m.index! + m[0].length);
    }
    case 5: { // a line duplicated (many times, sometimes)
      const ls = lines(t);
      const i = rng.int(ls.length);
      const n = rng.chance(0.1) ? 1 + rng.int(200) : 1;
      ls.splice(i, 0, ...Array(n).fill(ls[i]));
      return ls.join('\n');
    }
    case 6: { // a line deleted
      const ls = lines(t);
      ls.splice(rng.int(ls.length), 1);
      return ls.join('\n');
    }
    case 7: { // two lines swapped
      const ls = lines(t);
      const i = rng.int(ls.length), j = rng.int(ls.length);
      [ls[i], ls[j]] = [ls[j], ls[i]];
      return ls.join('\n');
    }
    case 8: { // a line of another seed spliced in
      if (!others.length) return t;
      const src = lines(rng.pick(others));
      const ls = lines(t);
      ls.splice(rng.int(ls.length + 1), rng.int(2), src[rng.int(src.length)]);
      return ls.join('\n');
    }
    case 9: // cut short
      return t.slice(0, at);
    case 10: { // a token of the line repeated or dropped
      const ls = lines(t);
      const i = rng.int(ls.length);
      const toks = ls[i].split(/(\s+)/);
      const k = rng.int(toks.length);
      if (rng.chance(0.5)) toks.splice(k, 1); else toks.splice(k, 0, toks[k] ?? '', ' ');
      ls[i] = toks.join('');
      return ls.join('\n');
    }
    default: { // a long run of one character (lexer limits, deep nesting)
      const c = rng.pick(['(', '[', '{', '9', 'a', '|', ',', ' ', '#', '\n']);
      return t.slice(0, at) + c.repeat(1 + rng.int(rng.chance(0.05) ? 100_000 : 300)) + t.slice(at);
    }
  }
}

export function mutateText(t: string, rng: Rng, dict: Dictionary, others: readonly string[]): string {
  const n = 1 + rng.int(rng.chance(0.2) ? 8 : 3);
  for (let i = 0; i < n; i++) t = mutateTextOnce(t, rng, dict, others);
  return t;
}

const BYTES = [0x00, 0x01, 0x06, 0x07, 0x15, 0x20, 0x7f, 0x80, 0xfe, 0xff];

/** Mutations of 8-byte struct sock_filter records. */
export function mutateBinary(b: Uint8Array, rng: Rng): Uint8Array {
  let out: Uint8Array = b.slice();

  const n = 1 + rng.int(4);
  for (let m = 0; m < n; m++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(7)) {
      case 0: if (out.length) out[rng.int(out.length)] ^= 1 << rng.int(8); break;
      case 1: if (out.length) out[rng.int(out.length)] = rng.pick(BYTES); break;
      case 2: out = out.slice(0, at); break;
      case 3: { // an arbitrary byte run inserted (breaks the 8-byte framing)
        const ins = Uint8Array.from({ length: 1 + rng.int(9) }, () => rng.int(256));
        out = concat(out.slice(0, at), ins, out.slice(at));
        break;
      }
      case 4: { // a record duplicated, sometimes many times (length limits)
        const r = Math.floor(at / 8) * 8;
        const rec = out.slice(r, r + 8);
        const times = rng.chance(0.1) ? 4100 : 1 + rng.int(4);
        const parts = [out.slice(0, r)];
        for (let i = 0; i < times; i++) parts.push(rec);
        parts.push(out.slice(r));
        out = concat(...parts);
        break;
      }
      case 5: { // a record deleted
        const r = Math.floor(at / 8) * 8;
        out = concat(out.slice(0, r), out.slice(r + 8));
        break;
      }
      default: { // k or a jump offset set to a boundary
        if (out.length < 8) break;
        const r = rng.int(Math.floor(out.length / 8)) * 8;
        const dv = new DataView(out.buffer, out.byteOffset);
        if (rng.chance(0.5)) dv.setUint32(r + 4, rng.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 4096, 64]), true);
        else out[r + 2 + rng.int(2)] = rng.pick([0, 1, 0xff, 0x80]);
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
