// Bad input never crashes the parser: whatever the text, the answer is a value,
// and every error points at a real place in the file and says what was expected.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseTraceFile } from '../../sim/trace/parse.ts';

const WORDS = [
  'trace', 'end', 'program', 't', 'ring', 'r', 'close', 'restrict', 'task', 'enable', 'register', 'PROBE', 'bpf', 'op=NOP',
  'op=SOCKET', 'allow', 'deny', 'p', 'sqe', 'submit', 'cqes', 'nnp', 'setuid', '0', 'fork', 'c', '@c', '@init', 'exit', '=>',
  '1:0', 'none', '-EACCES', 'pdu=12', 'left=1', 'flags=IO_LINK|', 'sqe_op:NOP', 'kernels=7.2,', 'path="a b', '"', '#',
  'ret', '#1', 'ld', '[16]', 'jeq', '6:0:0:1', '0x', '0644', 'domain=AF_INET', 'addr6=::1', 'addr4=1.2.3', 'unix=/s',
  'ud=-1', 'fd=AT_FDCWD', '\\q', 'x=', '=', ':', '|', 'mode=0o7', 'entries=99999999999',
];

const line = fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 7 }).map((ws) => ws.join(' '));
const file = fc.array(fc.oneof(line, fc.constantFrom('trace t', 'end', '  ring r', 'program p', '  ret #1')), { maxLength: 25 }).map((ls) => ls.join('\n'));

describe('the parser on arbitrary text', () => {
  it('returns a value, never throws; errors are located inside the file and say what was expected', () => {
    fc.assert(fc.property(file, (src) => {
      const r = parseTraceFile('f.trace', src);
      if (r.ok) return;
      const lines = src.split('\n');
      expect(r.error.length).toBeGreaterThan(0);
      for (const e of r.error) {
        expect(e.loc, e.message).toBeDefined();
        expect(e.loc!.file).toBe('f.trace');
        expect(e.loc!.line).toBeGreaterThanOrEqual(1);
        expect(e.loc!.line).toBeLessThanOrEqual(lines.length);
        expect(e.loc!.col).toBeGreaterThanOrEqual(1);
        expect(e.loc!.col).toBeLessThanOrEqual(lines[e.loc!.line - 1].length + 2);
        expect(e.expected, e.message).toBeTruthy();
      }
    }), { numRuns: 400 });
  });
});
