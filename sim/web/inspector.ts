// The filter inspector: pick a filter the trace registers or type one, fill the
// context fields of its opcode (numbers or symbolic constants such as AF_INET),
// and see the kernel's verdict on loading it, the program's verdict on that
// context, and the executed path with A, X and scratch memory per instruction.

import { EditorView, keymap, lineNumbers, drawSelection } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { opcodeName, IORING_OP_LAST } from '../../model/abi/opcodes.ts';
import type { CtxField } from '../../model/abi/ctx.ts';
import { assemble, formatMnemonic, interpret, packContext, parseValue, validate, type Insn, type TraceStep } from '../../model/bpf/index.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { Trace } from '../trace/ast.ts';
import { asmLanguage, asmLinter } from './asm-lang.ts';

interface Candidate { name: string; insns: readonly Insn[]; op: number }

const MEMBER: Record<string, CtxField['member']> = { SOCKET: 'socket', OPENAT: 'open', OPENAT2: 'open', CONNECT: 'connect' };
const FRIENDLY_PAD = new Set(['pad', 'connect.pad']);

let shownFor: { trace: Trace; profile: KernelProfile } | null = null;
let shownEditor: EditorView | null = null;

function candidates(t: Trace): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const c of t.commands) {
    if (c.c !== 'bpf') continue;
    const key = `${c.program}/${c.op}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: `${c.program} (${opcodeName(c.op)}, line ${c.loc.line})`, insns: c.insns, op: c.op });
  }
  for (const p of t.programs.values()) if (!out.some((c) => c.insns === p.insns)) out.push({ name: p.name, insns: p.insns, op: 0 });
  return out;
}

/** The program as assembler text the page's assembler reads back (labels as `L<pc>`). */
export function programText(insns: readonly Insn[]): string {
  const targets = new Set<number>();
  const label = (n: number) => { targets.add(n); return `L${n}`; };
  const lines = insns.map((i, pc) => formatMnemonic(i, pc, label) ?? `{ 0x${i.code.toString(16)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16)} }`);
  return lines.map((l, pc) => (targets.has(pc) ? `L${pc}: ${l}` : l)).join('\n');
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...kids);
  return e;
}

export function renderInspector(root: HTMLElement, trace: Trace, profile: KernelProfile): void {
  if (shownFor && shownFor.trace === trace && shownFor.profile === profile) return;
  shownFor = { trace, profile };
  const cands = candidates(trace);
  const pick = el('select', { id: 'insp-filter' });
  cands.forEach((c, i) => pick.append(el('option', { value: String(i), textContent: c.name })));
  pick.append(el('option', { value: 'own', textContent: '(type your own)' }));
  const opSel = el('select', { id: 'insp-op' });
  for (let op = 0; op < IORING_OP_LAST; op++) opSel.append(el('option', { value: String(op), textContent: opcodeName(op) }));
  // The program's editor: the assembler's syntax highlighted, its error underlined where it is.
  const host = el('div', { id: 'insp-text', className: 'asm-editor' });
  let setting = false;
  shownEditor?.destroy();
  const editor = shownEditor = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: '',
      extensions: [
        lineNumbers(), history(), drawSelection(), keymap.of([...defaultKeymap, ...historyKeymap]),
        asmLanguage, asmLinter,
        EditorView.updateListener.of((u) => { if (u.docChanged && !setting) run(); }),
        EditorView.contentAttributes.of({ 'aria-label': 'filter program (cBPF assembler)' }),
      ],
    }),
  });
  const source = () => editor.state.doc.toString();
  const setSource = (t: string) => {
    setting = true;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: t } });
    setting = false;
  };
  const fields = el('div', { id: 'insp-fields', className: 'fields' });
  const asmErr = el('div', { id: 'insp-error', className: 'error-inline' });
  const result = el('div', { id: 'insp-result' });
  const listing = el('table', { id: 'insp-listing', className: 'listing' });
  const layout = profile.ctx;
  const values = new Map<string, string>();
  let good: readonly Insn[] = [];

  const drawFields = () => {
    const op = Number(opSel.value);
    const member = MEMBER[opcodeName(op)];
    fields.replaceChildren();
    for (const f of layout.fields) {
      if (FRIENDLY_PAD.has(f.name) || (f.member && f.member !== member)) continue;
      const input = el('input', { value: f.name === 'opcode' ? opcodeName(op) : values.get(f.name) ?? '0', disabled: f.name === 'opcode' });
      input.dataset.field = f.name;
      input.addEventListener('input', () => { values.set(f.name, input.value); run(); });
      fields.append(el('label', {}, el('span', { textContent: f.name }), input));
    }
  };

  const run = () => {
    const a = assemble(source());
    if (!a.ok) {
      const e = a.error;
      asmErr.textContent = `line ${e.loc?.line ?? '?'}, column ${e.loc?.col ?? '?'}: ${e.message}${e.expected ? ` (expected ${e.expected})` : ''}; showing the last program that assembled`;
    } else {
      asmErr.textContent = '';
      good = a.value;
    }
    const op = Number(opSel.value);
    const ctxValues: [string, bigint][] = [['opcode', BigInt(op)]];
    const bad: string[] = [];
    for (const input of fields.querySelectorAll('input')) {
      const name = input.dataset.field!;
      if (name === 'opcode') continue;
      const v = parseValue(input.value.trim() || '0');
      input.classList.toggle('bad', !v.ok);
      if (v.ok) ctxValues.push([name, v.value]);
      else bad.push(`${name}: ${v.error.message}`);
    }
    const verdict = validate(good, profile);
    if (!verdict.ok) {
      result.className = 'verdict deny';
      result.textContent = `the kernel refuses to load it: ${verdict.message} (errno ${verdict.errno}, rule ${verdict.rule})`;
      drawListing([], null);
      return;
    }
    const ctx = packContext(layout, ctxValues);
    if (!ctx.ok) { result.className = 'verdict'; result.textContent = ctx.error.message; return; }
    const steps: TraceStep[] = [];
    const ret = interpret(verdict.program, ctx.value, (s) => steps.push({ ...s }));
    result.className = `verdict ${ret !== 0 ? 'allow' : 'deny'}`;
    result.textContent = `${ret !== 0 ? 'allows' : 'denies'} (returns ${ret >>> 0}) after ${steps.length} instruction${steps.length === 1 ? '' : 's'}${bad.length ? `; ignored: ${bad.join(', ')}` : ''}`;
    drawListing(steps, ret);
  };

  const drawListing = (steps: TraceStep[], _ret: number | null) => {
    const byPc = new Map(steps.map((s) => [s.pc, s]));
    const head = el('tr', {}, ...['pc', 'instruction', 'A', 'X', 'M[]'].map((h) => el('th', { textContent: h })));
    const rows = good.map((i, pc) => {
      const s = byPc.get(pc);
      const mn = formatMnemonic(i, pc, (n) => `L${n}`) ?? `{ 0x${i.code.toString(16)}, ${i.jt}, ${i.jf}, 0x${(i.k >>> 0).toString(16)} }`;
      const hex = (n: number) => '0x' + (n >>> 0).toString(16);
      const mem = s?.mem ? `M[${s.mem.cell}] ${s.mem.write ? '←' : '→'} ${hex(s.mem.value)}` : '';
      const tr = el('tr', { className: s ? 'ran' : '' }, el('td', { textContent: String(pc) }), el('td', { textContent: mn }),
        el('td', { textContent: s ? hex(s.a) : '' }), el('td', { textContent: s ? hex(s.x) : '' }), el('td', { textContent: mem }));
      return tr;
    });
    listing.replaceChildren(head, ...rows);
  };

  const choose = () => {
    if (pick.value === 'own') {
      if (!source()) setSource('ld [8]\nand #0xff\njeq #0, deny\nret #1\ndeny: ret #0');
    } else {
      const c = cands[Number(pick.value)];
      setSource(programText(c.insns));
      opSel.value = String(c.op);
    }
    drawFields();
    run();
  };
  pick.addEventListener('change', choose);
  opSel.addEventListener('change', () => { drawFields(); run(); });

  root.replaceChildren(
    el('div', { className: 'row' }, el('label', {}, 'filter ', pick), el('label', {}, 'opcode ', opSel)),
    host, asmErr,
    el('p', { className: 'hint', textContent: `context fields (${layout.name} layout); numbers or constants such as AF_INET, SOCK_STREAM, IOSQE_ASYNC|IOSQE_IO_DRAIN` }),
    fields, result, listing,
  );
  if (cands.length === 0) pick.value = 'own';
  choose();
}
