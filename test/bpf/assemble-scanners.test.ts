// The assembler reads a line with its fast scanner (ASCII text, common well-formed
// shapes) or, when that declines, with its friendly parser, which also takes every line
// of a text that is not ASCII. These tests hold the two to the same results: a text
// with a non-ASCII comment appended goes entirely through the friendly parser, so
// comparing the two is a differential check of the fast scanner in every `npm test`.
// The table rows are edges the differential check against the previous assembler
// exercised: lines the fast scanner declines halfway, after it has defined labels or
// emitted an instruction, must leave no trace of that half.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble, assembleDetailed } from '../../model/bpf/index.ts';
import { CTX_V5 } from '../../model/abi/ctx.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { AssembleOptions } from '../../model/bpf/assemble.ts';

const q = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });
/** The same text, but not ASCII: every line goes through the friendly parser. */
const friendlyOnly = (text: string): string => text + '\n; é';

function both(text: string, opts: AssembleOptions = {}) {
  const plain = assembleDetailed(text, opts);
  const friendly = assembleDetailed(friendlyOnly(text), opts);
  // the appended comment line changes nothing else
  expect(plain).toEqual(friendly);
  if (plain.ok) expect([...plain.value.labels]).toEqual(friendly.ok ? [...friendly.value.labels] : null);
  return plain;
}

describe('a line the fast scanner gives up on halfway leaves no trace', () => {
  it.each([
    // label defined, then a keyword load the fast scanner leaves to the friendly parser
    ['a: ld #len\nret a', [q(0x80, 0, 0, 0), q(0x16, 0, 0, 0)], [['a', 0]]],
    ['a: b: ld len\nret a', [q(0x80, 0, 0, 0), q(0x16, 0, 0, 0)], [['a', 0], ['b', 0]]],
    // label defined, jump emitted and its fixup recorded, then a block comment the fast scanner leaves to the friendly parser
    ['x: jeq #1, a, b /* c */\na: ret #1\nb: ret #0', [q(0x15, 0, 1, 1), q(0x06, 0, 0, 1), q(0x06, 0, 0, 0)], [['x', 0], ['a', 1], ['b', 2]]],
    ['x: ja a /* c */ ; d\na: ret #1', [q(0x05, 0, 0, 0), q(0x06, 0, 0, 1)], [['x', 0], ['a', 1]]],
    // quads, octal, binary, negative and indirect forms are the friendly parser's
    ['l: 6:0:0:AF_INET', [q(0x06, 0, 0, 2)], [['l', 0]]],
    ['l: ret #0644', [q(0x06, 0, 0, 0o644)], [['l', 0]]],
    ['l: ld #-1\nret a', [q(0x00, 0, 0, 0xffffffff), q(0x16, 0, 0, 0)], [['l', 0]]],
    ['l: ldb [x + 1]\nret a', [q(0x50, 0, 0, 1), q(0x16, 0, 0, 0)], [['l', 0]]],
    ['l: ld [open.resolve + 4]\nret a', [q(0x20, 0, 0, 36), q(0x16, 0, 0, 0)], [['l', 0]]],
    // a block comment opened mid-line: the next line is inside it
    ['l: ld #1 /* open\n ret #9 */ ret a', [q(0x00, 0, 0, 1), q(0x16, 0, 0, 0)], [['l', 0]]],
  ])('%j', (text, insns, labels) => {
    const r = both(text);
    expect(r.ok && r.value.insns).toEqual(insns);
    expect(r.ok && [...r.value.labels]).toEqual(labels);
  });
});

describe('what the fast scanner reads, read the same by both', () => {
  it.each([
    // line endings and blanks: CRLF, tabs, CR alone is a blank
    ['ld #1\r\nret a\r\n', [q(0x00, 0, 0, 1), q(0x16, 0, 0, 0)]],
    ['\tld\t[16]\t\nret\ta', [q(0x20, 0, 0, 16), q(0x16, 0, 0, 0)]],
    ['ld #1\rret a', null], // CR does not end a line
    // '#' is a comment at a line's first token or before a blank, else an immediate
    ['l: # only a label\nret #1', [q(0x06, 0, 0, 1)]],
    ['#ret #1\nret #2', [q(0x06, 0, 0, 2)]],
    ['ret #1 #', [q(0x06, 0, 0, 1)]],
    ['ret #1 #x', null],
    ['ret # 1', null],
    // numbers at the edges of the fast path: 15 and 16 decimal digits, 12 and 13 hex digits
    ['ret #000000000000001', [q(0x06, 0, 0, 1)]],
    ['ret #999999999999999', null],
    ['ret #0XfF', [q(0x06, 0, 0, 255)]],
    ['ret #0x0000ffffffff', [q(0x06, 0, 0, 0xffffffff)]],
    ['ret #0x00000000ffffffff', [q(0x06, 0, 0, 0xffffffff)]],
    ['ret #0x100000000', null],
    ['ret #0x', null],
    ['ret #12abc', null],
    ['ret #4294967295|1', [q(0x06, 0, 0, 0xffffffff)]],
    // names: case, dots, field widths
    ['LD [socket.family]\nRet A', [q(0x20, 0, 0, 16), q(0x16, 0, 0, 0)]],
    ['ld [Socket.family]', null],
    ['ldh [socket.family]\nret a', [q(0x28, 0, 0, 16), q(0x16, 0, 0, 0)]],
    ['ldh [opcode]', null],
    ['ld m [ 3 ]\nret a', [q(0x60, 0, 0, 3), q(0x16, 0, 0, 0)]],
    ['ld mm[3]', null],
    ['jeq x,a,b\na:b:ret a', [q(0x1d, 0, 0, 0), q(0x16, 0, 0, 0)]],
    ['jne #1, a, b\na: ret a', null],
    ['ja a.b\na: ret a', null],
    ['a.b: ret a', null],
    ['ld: ret #1', [q(0x06, 0, 0, 1)]],
    ['ret x1', null],
  ])('%j', (text, insns) => {
    const r = both(text, { file: 'f.bpf' });
    if (insns === null) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.loc?.file).toBe('f.bpf');
    } else {
      expect(r.ok && r.value.insns).toEqual(insns);
    }
  });

  it('a label defined twice is an error on the second definition, whichever scanner read the first', () => {
    const r = both('a: ld #1\nld #2\na: ret a');
    expect(r).toMatchObject({ ok: false, error: { kind: 'name', loc: { line: 3, col: 1, len: 1 } } });
    expect(!r.ok && r.error.message).toBe("label 'a' is already defined on line 1");
  });
});

describe('the fast scanner agrees with the friendly parser on any text', () => {
  // pieces of lines the fast scanner reads, and pieces that make it decline
  const piece = fc.constantFrom(
    'ld', 'LD', 'ldh', 'ldb', 'ldx', 'ldi', 'ldxi', 'st', 'stx', 'ja', 'jeq', 'jne', 'jgt', 'jset', 'add', 'AND', 'rsh', 'neg', 'ret', 'tax',
    '#', '#1', '#0x10', '#AF_INET', '#SOCK_STREAM|SOCK_NONBLOCK', '#len', '#proto', '#-1', '#0644', '#99999999999999999',
    '[16]', '[socket.family]', '[socket.type]', '[opcode]', '[x + 4]', 'M[0]', 'm[15]', 'M[16]', 'x', '%x', 'a', 'len',
    ',', ', l1', ', l2', 'l1', 'l2', 'l1:', 'l2:', 'l1.x', ':', '|', '6:0:0:1', ' ', '\t', '\r', '; c', '// c', '# c', '/* c */', '/*', '*/', '@',
  );
  const line = fc.array(piece, { minLength: 0, maxLength: 6 }).map((ps) => ps.join(' '));
  const text = fc.array(line, { minLength: 1, maxLength: 10 }).map((ls) => ls.join('\n'));

  it('same instructions, lines, labels or error, ASCII or not', () => {
    fc.assert(fc.property(text, fc.boolean(), (t, v5) => {
      const opts: AssembleOptions = v5 ? { layout: CTX_V5, file: 'p', line0: 3, col0: 2 } : {};
      const plain = assembleDetailed(t, opts);
      const friendly = assembleDetailed(friendlyOnly(t), opts);
      expect(plain).toEqual(friendly);
      if (plain.ok && friendly.ok) expect([...plain.value.labels]).toEqual([...friendly.value.labels]);
    }), { numRuns: 1000 });
  });

  it('assemble() never throws, whatever the characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (t) => {
      const r = assemble(t);
      return r.ok || r.error.message.length > 0;
    }), { numRuns: 300 });
  });
});

describe('the label table', () => {
  it('finds every label after growing past its first guess many times, in both scanners', () => {
    // 602 labels in 7 KB of text: the table is sized from the text's length (room for 234
    // here) and grows on the way; names of one length that differ in one character
    // share every word but one; every jump is checked against its label's instruction
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(`a${i}: b${i}: jeq #${i}, a${i + 1}, b${i + 1}`);
    lines.push('a300: b300: ret #0');
    const r = both(lines.join('\n'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.labels.size).toBe(602);
    for (let i = 0; i <= 300; i++) {
      expect(r.value.labels.get(`a${i}`)).toBe(i);
      expect(r.value.labels.get(`b${i}`)).toBe(i);
    }
    for (let i = 0; i < 300; i++) expect(r.value.insns[i]).toEqual(q(0x15, 0, 0, i));
    // a label defined twice is still found as the same label after the table grew
    const again = both(lines.join('\n') + '\nb7: ret #1');
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.message).toBe("label 'b7' is already defined on line 8");
  });
});
