// The cBPF assembler in CodeMirror (the filter inspector's editor): highlighting
// for the syntax model/bpf/asm/ reads, and the assembler's located error as lint.

import { StreamLanguage, type StringStream } from '@codemirror/language';
import { linter } from '@codemirror/lint';
import type { Extension } from '@codemirror/state';
import { MNEMONICS } from '../../model/bpf/asm/tables.ts';
import { assemble } from '../../model/bpf/index.ts';
import { diagnosticOf, traceHighlight } from './trace-lang.ts';

const ASM_MNEMONICS: ReadonlySet<string> = new Set(MNEMONICS);

interface State { inBlock: boolean; lineStart: boolean }

const asmStream = StreamLanguage.define<State>({
  name: 'cbpf-asm',
  startState: () => ({ inBlock: false, lineStart: true }),
  token(s: StringStream, st: State): string | null {
    if (s.sol()) st.lineStart = true;
    if (st.inBlock) {
      // Inside /* ... */, possibly over several lines.
      if (s.skipTo('*/')) { s.match('*/'); st.inBlock = false; } else s.skipToEnd();
      return 'comment';
    }
    if (s.eatSpace()) return null;
    const first = st.lineStart;
    st.lineStart = false;
    if (s.match('/*')) { st.inBlock = true; return 'comment'; }
    if (s.match(';') || s.match('//')) { s.skipToEnd(); return 'comment'; }
    // `#` opens a comment at the start of a line or before a blank; `#AF_INET` is an immediate.
    if (s.peek() === '#' && (first || /^#(\s|$)/.test(s.string.slice(s.pos)))) { s.skipToEnd(); return 'comment'; }
    if (s.match(/^#?(0x[0-9a-fA-F]+|0b[01]+|-?\d+)\b/)) return 'number';
    if (s.match(/^M(?=\[)/)) return 'variableName.special';
    const w = s.match(/^#?[A-Za-z_.][\w.]*:?/) as RegExpMatchArray | null;
    if (w) {
      const word = w[0];
      // A label starts the line; the mnemonic after it is still the line's first word.
      if (word.endsWith(':')) { st.lineStart = first; return 'labelName'; }
      if (first && ASM_MNEMONICS.has(word.toLowerCase())) return 'keyword';
      if (/^#?[A-Z][A-Z0-9_]*$/.test(word)) return 'constant';
      if (/^[ax]$/i.test(word)) return 'variableName.special';
      return 'variableName';
    }
    s.next();
    return null;
  },
  languageData: { commentTokens: { line: ';', block: { open: '/*', close: '*/' } } },
});

export const asmLanguage: Extension = [asmStream, traceHighlight];

/** The assembler's first error as a diagnostic, as the person types. */
export const asmLinter: Extension = linter((view) => {
  const r = assemble(view.state.doc.toString());
  return r.ok ? [] : [diagnosticOf(view.state.doc, r.error)];
}, { delay: 150 });
