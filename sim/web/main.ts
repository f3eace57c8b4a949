// The playground: a trace in an editor, its replay as a timeline, the world after
// the selected step as a diagram, what that step changed, a filter inspector and
// the policy of a holder. Everything runs here, on the same model the CLI runs:
// stepping is picking one of the immutable world values the replay kept.

import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { lintGutter } from '@codemirror/lint';
import type { RfError } from '../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type ProfileName } from '../../model/profile/profiles.ts';
import type { Trace, TraceFile } from '../trace/ast.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { differingFields, normaliseRecords } from '../trace/compare.ts';
import { defaultProfileFor, stepTrace, stepState, type Stepped } from '../report/steps.ts';
import { renderDelta } from '../report/delta.ts';
import { renderSvg } from '../report/svg.ts';
import { fileComment, traceComment } from '../report/matrix.ts';
import { SCENARIOS } from './scenarios.ts';
import { traceLanguage, traceLinter } from './trace-lang.ts';
import { decodeFragment, encodeFragment, type ViewState } from './fragment.ts';
import { renderInspector } from './inspector.ts';
import './style.css';

// Every imported module has run by now: the page's own start-up begins (the bench reads the mark).
performance.mark('rf-start');

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface App {
  file: string | null;
  source: string;
  /** The last text that parsed: what the timeline and diagram show. */
  good: TraceFile | null;
  trace: string;
  profile: ProfileName;
  diff: ProfileName | '';
  step: number;
  stepped: Stepped | null;
  diffStepped: Stepped | null;
  lastRedrawMs: number;
  redraws: number[];
}

const app: App = {
  file: null, source: '', good: null, trace: '', profile: DEFAULT_PROFILE, diff: '', step: 0,
  stepped: null, diffStepped: null, lastRedrawMs: 0, redraws: [],
};
(window as unknown as { __rf: App }).__rf = app;

/** Run `f` inside a performance measure named `name` (the page's own timings; the bench reads them). */
function timed<T>(name: string, f: () => T): T {
  const start = performance.now();
  try { return f(); } finally { performance.measure(name, { start, end: performance.now() }); }
}

function parse(text: string, file: string): { file: TraceFile | null; errors: RfError[] } {
  const r = parseTraceFile(file, text);
  if (!r.ok) return { file: null, errors: r.error };
  if (r.value.traces.length === 0) return { file: null, errors: [{ kind: 'syntax', message: 'the file holds no trace', loc: { file, line: 1, col: 1 }, expected: '`trace NAME` ... `end`' }] };
  return { file: r.value, errors: [] };
}

// ---- the editor -------------------------------------------------------------

let applyingExternal = false;
let editTimer: number | undefined;
const editor = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: '',
    extensions: [
      lineNumbers(), history(), drawSelection(), highlightActiveLine(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      traceLanguage, lintGutter(),
      traceLinter((text) => parse(text, app.file ?? 'playground.trace').errors),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged || applyingExternal) return;
        window.clearTimeout(editTimer);
        editTimer = window.setTimeout(() => onEdit(u.state.doc.toString()), 200);
      }),
      EditorView.theme({ '&': { height: '100%', fontSize: '12.5px' }, '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' } }),
    ],
  }),
});

function setEditorText(text: string): void {
  applyingExternal = true;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
  applyingExternal = false;
}

function showError(errors: RfError[]): void {
  const box = $('error');
  if (errors.length === 0) { box.hidden = true; box.textContent = ''; return; }
  box.hidden = false;
  box.textContent = errors.slice(0, 3).map((e) => `${e.loc ? `line ${e.loc.line}, column ${e.loc.col}: ` : ''}${e.message}${e.expected ? ` (expected ${e.expected})` : ''}`).join('\n') +
    (app.good ? '\nThe timeline and diagram show the last text that parsed.' : '');
}

function onEdit(text: string): void {
  app.source = text;
  if (app.file && SCENARIOS.find((s) => s.file === app.file)?.source !== text) app.file = null;
  const p = parse(text, app.file ?? 'playground.trace');
  showError(p.errors);
  if (!p.file) return; // keep the last good state on screen
  app.good = p.file;
  if (!p.file.traces.some((t) => t.name === app.trace)) app.trace = p.file.traces[0].name;
  replay();
  renderAll();
}

// ---- replay -------------------------------------------------------------------

function currentTrace(): Trace | null {
  return app.good?.traces.find((t) => t.name === app.trace) ?? null;
}

function replay(): void {
  timed('rf-replay', replayInner);
}

function replayInner(): void {
  const t = currentTrace();
  if (!t) { app.stepped = null; app.diffStepped = null; return; }
  try {
    app.stepped = stepTrace(t, getProfile(app.profile)!);
    app.diffStepped = app.diff ? stepTrace(t, getProfile(app.diff)!) : null;
  } catch (e) {
    // A bug in the model must not take the page down: say so where the error box is.
    showError([{ kind: 'internal', message: `the replay failed: ${(e as Error).message}` }]);
    return;
  }
  app.step = Math.min(Math.max(app.step, 0), Math.max(app.stepped.steps.length - 1, 0));
}

/** The first step after which some filter table has more than one reference (or the last step). */
function firstSharedStep(s: Stepped): number {
  for (let i = 0; i < s.steps.length; i++) {
    for (const t of s.steps[i].world.filters.tables.values()) if (t.refs > 1) return i;
  }
  return Math.max(0, s.steps.length - 1);
}

// ---- rendering ------------------------------------------------------------------

function renderGallery(): void {
  const ul = $('gallery');
  ul.replaceChildren(...SCENARIOS.map((s) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = s.file;
    b.dataset.file = s.file;
    b.title = fileComment(s.source);
    b.className = s.file === app.file ? 'current' : '';
    b.addEventListener('click', () => loadScenario(s.file));
    li.append(b);
    return li;
  }));
}

function renderTraceSelect(): void {
  const sel = $<HTMLSelectElement>('trace');
  const traces = app.good?.traces ?? [];
  sel.replaceChildren(...traces.map((t) => {
    const o = document.createElement('option');
    o.value = t.name;
    o.textContent = t.name + (t.kernels ? `  (kernels ${t.kernels.join(',')})` : '');
    return o;
  }));
  sel.value = app.trace;
  const t = currentTrace();
  $('trace-about').textContent = t ? traceComment(app.good!.source, t.loc.line) : '';
  const sc = app.file ? SCENARIOS.find((s) => s.file === app.file) : undefined;
  $('file-about').textContent = sc ? fileComment(sc.source) : 'your own trace';
}

function renderTimeline(): void {
  const ol = $('timeline');
  const s = app.stepped;
  if (!s) { ol.replaceChildren(); return; }
  const diffs = app.diffStepped ? normaliseRecords(app.diffStepped.steps.map((x) => x.record)) : null;
  const mine = normaliseRecords(s.steps.map((x) => x.record));
  ol.replaceChildren(...s.steps.map((st, i) => {
    const li = document.createElement('li');
    li.dataset.step = String(i);
    li.className = i === app.step ? 'selected' : '';
    const cmd = document.createElement('span');
    cmd.className = 'cmd';
    cmd.textContent = `${st.command.task === 'init' ? '' : '@' + st.command.task + ' '}${st.command.text.replace(/^@\S+\s+/, '')}`;
    const out = document.createElement('span');
    out.className = 'out';
    out.textContent = `→ ${st.outcome}`;
    li.append(cmd, out);
    if (st.expect) {
      const e = document.createElement('span');
      e.className = `expect ${st.expect.held ? 'pass' : 'fail'}`;
      e.textContent = st.expect.held ? `✓ => ${st.expect.text}` : `✗ expected => ${st.expect.text}`;
      li.append(e);
    }
    if (diffs) {
      const other = diffs[i];
      const fields = other ? differingFields(mine[i], other) : ['missing'];
      if (fields.length) {
        li.classList.add('differs');
        const d = document.createElement('span');
        d.className = 'diff';
        d.textContent = `${app.diff}: → ${app.diffStepped!.steps[i]?.outcome ?? '(not reached)'}`;
        li.append(d);
      }
    }
    li.addEventListener('click', () => select(i));
    return li;
  }));
  const r = s.result;
  const failed = r.failures;
  $('verdict').textContent = r.error ? `stopped: ${r.error.message}` : failed ? `${failed} expectation${failed === 1 ? '' : 's'} failed under ${app.profile}` : `every expectation held under ${app.profile}` +
    (app.diffStepped ? `; ${s.steps.filter((_, i) => ol.children[i]?.classList.contains('differs')).length} step(s) differ on ${app.diff}` : '');
  $('verdict').className = r.error || failed ? 'fail' : 'pass';
}

function renderStep(): void {
  const s = app.stepped;
  const t0 = performance.now();
  if (!s || s.steps.length === 0) {
    $('diagram').innerHTML = '';
    $('delta').textContent = s ? 'the trace has no step' : '';
    return;
  }
  const st = stepState(s, app.step);
  const cmd = s.steps[app.step];
  $('diagram').innerHTML = renderSvg(st.diagram, { title: `after step ${app.step}: ${cmd.command.text.replace(/^@\S+\s+/, '')} → ${cmd.outcome}` });
  $('delta').textContent = `step ${app.step} changed:\n${renderDelta(st.delta)}`;
  $('step-label').textContent = `step ${app.step} of ${s.steps.length - 1}`;
  for (const li of $('timeline').children) li.classList.toggle('selected', (li as HTMLElement).dataset.step === String(app.step));
  $('timeline').children[app.step]?.scrollIntoView({ block: 'nearest' });
  app.lastRedrawMs = performance.now() - t0;
  app.redraws.push(app.lastRedrawMs);
  // On load the inspector waits until the page is interactive (it builds a second editor).
  if (started) renderTools();
}

let started = false;

let toolTab: 'inspect' | 'policy' = 'inspect';
function renderTools(): void {
  timed('rf-tools', renderToolsInner);
}

function renderToolsInner(): void {
  $('tab-inspect').classList.toggle('active', toolTab === 'inspect');
  $('tab-policy').classList.toggle('active', toolTab === 'policy');
  $('inspect').hidden = toolTab !== 'inspect';
  $('policy').hidden = toolTab !== 'policy';
  const t = currentTrace();
  if (!t || !app.stepped) return;
  if (toolTab === 'inspect') renderInspector($('inspect'), t, getProfile(app.profile)!);
  else {
    // The policy analysis and the matrix are their own chunks, loaded on first use.
    const s = app.stepped, step = app.step, p = getProfile(app.profile)!;
    void import('./policy-view.ts').then((m) => { if (app.stepped === s && app.step === step) m.renderPolicy($('policy'), t, p, s, step); });
  }
}

function renderAll(): void {
  timed('rf-gallery', () => { renderGallery(); renderTraceSelect(); });
  timed('rf-timeline', renderTimeline);
  timed('rf-step', renderStep);
  writeFragment();
}

function select(i: number): void {
  if (!app.stepped) return;
  const n = app.stepped.steps.length;
  if (n === 0) return;
  app.step = Math.min(Math.max(i, 0), n - 1);
  renderStep();
  writeFragment();
}

// ---- loading, the URL fragment --------------------------------------------------

function loadScenario(file: string, view?: Partial<ViewState>): void {
  const sc = SCENARIOS.find((s) => s.file === file);
  if (!sc) return;
  app.file = file;
  loadText(sc.source, view);
}

function loadText(text: string, view: Partial<ViewState> = {}): void {
  app.source = text;
  timed('rf-editor', () => setEditorText(text));
  const p = timed('rf-parse', () => parse(text, app.file ?? 'playground.trace'));
  showError(p.errors);
  app.good = p.file ?? app.good;
  const traces = p.file?.traces ?? [];
  const wanted = view.trace && traces.find((t) => t.name === view.trace);
  const t = wanted || traces.find((x) => !x.kernels || x.kernels.includes(view.profile ?? app.profile)) || traces[0];
  app.trace = t?.name ?? '';
  if (view.profile) app.profile = view.profile;
  else if (t) app.profile = defaultProfileFor(t);
  app.diff = view.diff ?? '';
  $<HTMLSelectElement>('profile').value = app.profile;
  $<HTMLSelectElement>('diff').value = app.diff;
  replay();
  app.step = view.step ?? (app.stepped ? firstSharedStep(app.stepped) : 0);
  if (app.stepped) app.step = Math.min(app.step, Math.max(0, app.stepped.steps.length - 1));
  renderAll();
}

let writingFragment = false;
function writeFragment(): void {
  const frag = encodeFragment({ file: app.file, source: app.file ? null : app.source, trace: app.trace, profile: app.profile, diff: app.diff, step: app.step });
  if (location.hash.slice(1) === frag) return;
  writingFragment = true;
  window.history.replaceState(null, '', '#' + frag);
  writingFragment = false;
}

function readFragment(): boolean {
  const v = decodeFragment(location.hash.slice(1));
  if (!v) return false;
  if (v.file && SCENARIOS.some((s) => s.file === v.file)) loadScenario(v.file, v);
  else if (v.source !== null && v.source !== undefined) { app.file = null; loadText(v.source, v); }
  else return false;
  return true;
}

// ---- controls ---------------------------------------------------------------------

function fillProfiles(): void {
  for (const id of ['profile', 'diff']) {
    const sel = $<HTMLSelectElement>(id);
    for (const p of PROFILE_NAMES) {
      const o = document.createElement('option');
      o.value = p;
      o.textContent = p + (getProfile(p)!.release ? '' : ' (patch set)');
      sel.append(o);
    }
  }
  $<HTMLSelectElement>('profile').addEventListener('change', (e) => { app.profile = (e.target as HTMLSelectElement).value as ProfileName; replay(); renderAll(); });
  $<HTMLSelectElement>('diff').addEventListener('change', (e) => { app.diff = (e.target as HTMLSelectElement).value as ProfileName | ''; replay(); renderAll(); });
  $<HTMLSelectElement>('trace').addEventListener('change', (e) => {
    app.trace = (e.target as HTMLSelectElement).value;
    replay();
    app.step = app.stepped ? firstSharedStep(app.stepped) : 0;
    renderAll();
  });
  $('prev').addEventListener('click', () => select(app.step - 1));
  $('next').addEventListener('click', () => select(app.step + 1));
  $('tab-inspect').addEventListener('click', () => { toolTab = 'inspect'; renderTools(); });
  $('tab-policy').addEventListener('click', () => { toolTab = 'policy'; renderTools(); });
  $('tab-play').addEventListener('click', () => showMain('play'));
  $('tab-matrix').addEventListener('click', () => showMain('matrix'));
  $('share').addEventListener('click', () => {
    writeFragment();
    void navigator.clipboard?.writeText(location.href).catch(() => undefined);
    $('share').textContent = 'link copied';
    window.setTimeout(() => { $('share').textContent = 'share link'; }, 1200);
  });
  document.addEventListener('keydown', (e) => {
    const inEditor = (e.target as HTMLElement).closest?.('.cm-editor, input, textarea, select');
    if (inEditor) return;
    if (e.key === 'ArrowLeft') { select(app.step - 1); e.preventDefault(); }
    if (e.key === 'ArrowRight') { select(app.step + 1); e.preventDefault(); }
  });
  window.addEventListener('hashchange', () => { if (!writingFragment) readFragment(); });
}

let matrixDrawn = false;
function showMain(which: 'play' | 'matrix'): void {
  $('play').hidden = which !== 'play';
  $('matrix').hidden = which !== 'matrix';
  $('tab-play').classList.toggle('active', which === 'play');
  $('tab-matrix').classList.toggle('active', which === 'matrix');
  if (which === 'matrix' && !matrixDrawn) {
    matrixDrawn = true;
    $('matrix').textContent = 'building the matrix...';
    void import('./matrix-view.ts').then((m) => m.renderMatrix($('matrix'), (file, trace, profile) => { showMain('play'); loadScenario(file, { trace, profile }); }));
  }
}

fillProfiles();
if (!readFragment()) loadScenario('cow.trace');
performance.measure('rf-load', 'rf-start');
document.body.dataset.ready = 'true';
// Interactive: the editor takes input and the example's diagram is drawn (the mark's
// startTime counts from navigation start; the browser test and the bench read it).
performance.mark('rf-interactive');
(window as unknown as { __rfReadyAt: number }).__rfReadyAt = performance.now();
started = true;
window.setTimeout(renderTools, 0);
