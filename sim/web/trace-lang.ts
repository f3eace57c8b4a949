// Trace files in CodeMirror: highlighting for the trace language and the cBPF
// assembler inside `program` blocks, and the parser's located errors as lint.

import { StreamLanguage, HighlightStyle, syntaxHighlighting, type StringStream } from '@codemirror/language';
import { linter, type Diagnostic } from '@codemirror/lint';
import { tags as t } from '@lezer/highlight';
import type { Text } from '@codemirror/state';
import type { RfError } from '../../model/errors.ts';
import { MNEMONICS } from '../../model/bpf/asm/tables.ts';

const ASM_MNEMONICS: ReadonlySet<string> = new Set(MNEMONICS);

const COMMANDS = new Set(['trace', 'end', 'program', 'ring', 'close', 'restrict', 'enable', 'register', 'bpf', 'sqe', 'submit', 'cqes', 'nnp', 'setuid', 'fork', 'exit']);

interface State { inProgram: boolean; lineStart: boolean }

const traceStream = StreamLanguage.define<State>({
  name: 'ringfence-trace',
  startState: () => ({ inProgram: false, lineStart: true }),
  token(s: StringStream, st: State): string | null {
    if (s.sol()) st.lineStart = true;
    if (s.eatSpace()) return null;
    if (s.peek() === '#' || s.match(';', false) && st.inProgram) { s.skipToEnd(); return 'comment'; }
    if (s.match('=>')) return 'operator';
    if (s.match(/^@[\w.-]+/)) { st.lineStart = false; return 'variableName.special'; }
    if (s.match(/^-?E[A-Z0-9]+\b/)) return 'atom';
    if (s.match(/^(0x[0-9a-fA-F]+|-?\d+)\b/)) return 'number';
    if (s.match(/^[A-Za-z_][\w.-]*(?==)/)) { s.eat('='); return 'propertyName'; }
    const w = s.match(/^[A-Za-z_][\w.-]*:?/) as RegExpMatchArray | null;
    if (w) {
      const word = w[0];
      const first = st.lineStart;
      st.lineStart = false;
      if (first && word === 'program') st.inProgram = true;
      if (first && word === 'end') { st.inProgram = false; return 'keyword'; }
      if (word.endsWith(':')) return 'labelName';
      if (first && COMMANDS.has(word)) return 'keyword';
      if (ASM_MNEMONICS.has(word.toLowerCase()) && (st.inProgram || first)) return 'keyword';
      if (/^[A-Z][A-Z0-9_]+$/.test(word)) return 'constant';
      return 'variableName';
    }
    s.next();
    st.lineStart = false;
    return null;
  },
  languageData: { commentTokens: { line: '#' } },
});

const style = HighlightStyle.define([
  { tag: t.keyword, color: '#7c3aed', fontWeight: '600' },
  { tag: t.comment, color: '#6b7280', fontStyle: 'italic' },
  { tag: t.number, color: '#0f766e' },
  { tag: t.atom, color: '#b3261e' },
  { tag: t.operator, color: '#b45309', fontWeight: '700' },
  { tag: t.propertyName, color: '#1d4ed8' },
  { tag: [t.constant(t.variableName), t.constant(t.name)], color: '#9d174d' },
  { tag: t.special(t.variableName), color: '#c2410c' },
  { tag: t.labelName, color: '#0369a1' },
]);

/** The colours of both editors (traces and the inspector's assembler). */
export const traceHighlight = syntaxHighlighting(style);

export const traceLanguage = [traceStream, traceHighlight];

/** A located error as a CodeMirror diagnostic (its line from the column to the line's end). */
export function diagnosticOf(doc: Text, e: RfError): Diagnostic {
  const line = doc.line(Math.min(Math.max(e.loc?.line ?? 1, 1), doc.lines));
  const from = Math.min(line.from + Math.max((e.loc?.col ?? 1) - 1, 0), line.to);
  return { from, to: Math.max(from, line.to), severity: 'error', message: e.message + (e.expected ? ` (expected ${e.expected})` : '') };
}

/** Lint with the page's own parse: `check` returns the errors of the current text. */
export function traceLinter(check: (text: string) => RfError[]) {
  return linter((view) => check(view.state.doc.toString()).map((e) => diagnosticOf(view.state.doc, e)), { delay: 250 });
}
