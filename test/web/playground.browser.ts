// The playground in a real browser: it opens on the COW example with a diagram,
// steps with the keyboard, shows the same refcounts and COW marks as `ringfence
// explain --json` for the same step, reports a syntax error inline while keeping
// the last good state, round-trips a shared URL, and never requests anything from
// another origin. Timing figures are printed, never asserted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

const ROOT = join(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test/web/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server: PreviewServer;
let browser: BrowserContext;
let origin: string;
let profileDir: string;
const foreign: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/playground/index.html'))) throw new Error('build the page first: npm run playground:build');
  server = await preview({ configFile: join(ROOT, 'sim/web/vite.config.ts'), preview: { port: 0, host: '127.0.0.1' }, logLevel: 'silent' });
  origin = new URL(server.resolvedUrls!.local[0]).origin;
  profileDir = mkdtempSync(join(tmpdir(), 'rf-chromium-'));
  // A fresh, empty profile directory (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // Every page of the context, including pages a test opens itself, is watched.
  browser.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:') && u !== 'about:blank') foreign.push(u);
  });
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function open(hash = ''): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/${hash ? '#' + hash : ''}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

type Box = { id: string; refs?: number; marks: string[] };

/** Boxes and arrows of the diagram on screen, as explain --json gives them. */
async function diagramOnPage(page: Page) {
  return page.evaluate(() => {
    const read = (sel: string) => [...document.querySelectorAll<SVGGElement>(`#diagram ${sel}`)].map((g) => ({
      id: g.dataset.id!, refs: g.dataset.refs === undefined ? undefined : Number(g.dataset.refs), marks: (g.dataset.marks ?? '').split(' ').filter(Boolean),
    }));
    return { boxes: read('g.box'), arrows: read('g.arrow') };
  });
}

async function explainJson(file: string, trace: string, profile: string, step: number) {
  const io = memoryIo();
  const code = await main(['explain', '--json', '--kernel', profile, '--trace', trace, '--step', String(step), '--no-invariants', join(ROOT, 'scenarios', file)], {
    ...io, readFile: (p: string) => (existsSync(p) ? { ok: true, value: readFileSync(p, 'utf8') } : io.readFile(p)),
  } as typeof io);
  expect(code).toBeLessThan(2);
  const line = io.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((o) => o.step === step);
  return line.diagram as { boxes: Box[]; arrows: Box[] };
}

describe('the playground', () => {
  it('opens on the COW example, stepped to a shared table, with its diagram drawn', async () => {
    const page = await open();
    const readyAt = await page.evaluate(() => (window as unknown as { __rfReadyAt: number }).__rfReadyAt);
    console.log(`interactive ${readyAt.toFixed(0)} ms after navigation start`);
    expect(page.url()).toContain('f=cow.trace');
    const d = await diagramOnPage(page);
    expect(d.boxes.some((b) => b.id.startsWith('table:') && b.marks.includes('shared'))).toBe(true);
    expect(d.arrows.some((a) => a.marks.includes('cow'))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'default.png') });
    await page.screenshot({ path: join(ROOT, 'docs/playground.png') });
    await page.close();
  });

  it('loads an example, steps with the keyboard, and shows what explain --json shows for that step', async () => {
    const page = await open();
    await page.click('#gallery button[data-file="task-inherit.trace"]');
    await page.selectOption('#profile', '7.3');
    const trace = await page.$eval('#trace', (s) => (s as HTMLSelectElement).value);
    await page.click('#timeline li[data-step="0"]');
    const n = await page.$$eval('#timeline li', (l) => l.length);
    for (let i = 1; i < Math.min(n, 4); i++) {
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector(`#timeline li.selected[data-step="${i}"]`);
    }
    await page.keyboard.press('ArrowLeft');
    const step = Math.min(n, 4) - 2;
    await page.waitForSelector(`#timeline li.selected[data-step="${step}"]`);
    const shown = await diagramOnPage(page);
    const cli = await explainJson('task-inherit.trace', trace, '7.3', step);
    const refs = (bs: Box[]) => Object.fromEntries(bs.filter((b) => b.refs !== undefined).map((b) => [b.id, b.refs]));
    const cow = (as: Box[]) => as.filter((a) => a.marks.includes('cow')).map((a) => a.id).sort();
    expect(refs(shown.boxes)).toEqual(refs(cli.boxes));
    expect(Object.keys(refs(cli.boxes)).length).toBeGreaterThan(0);
    expect(cow(shown.arrows)).toEqual(cow(cli.arrows));
    expect(shown.boxes.map((b) => b.id).sort()).toEqual(cli.boxes.map((b) => b.id).sort());
    await page.screenshot({ path: join(SHOTS, 'task-inherit.png') });
    await page.close();
  });

  it('shows a syntax error inline as one types and keeps the last good state', async () => {
    const page = await open();
    const before = await page.$eval('#diagram', (d) => d.innerHTML);
    await page.click('.cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\ntrace broken\n  ring r => banana\nend\n');
    await page.waitForSelector('.cm-lintRange-error', { timeout: 10_000 });
    await page.waitForSelector('#error:not([hidden])');
    const msg = await page.$eval('#error', (e) => e.textContent ?? '');
    expect(msg).toMatch(/line \d+, column \d+/);
    expect(await page.$eval('#diagram', (d) => d.innerHTML)).toBe(before);
    await page.screenshot({ path: join(SHOTS, 'syntax-error.png') });
    await page.close();
  });

  it('a shared URL reproduces the view: trace, profile, diff and step', async () => {
    const page = await open();
    await page.selectOption('#profile', '7.2');
    await page.selectOption('#trace', 'task-to-ring-update-shared');
    await page.selectOption('#diff', '7.3');
    await page.click('#timeline li[data-step="2"]');
    const url = page.url();
    const svg = await page.$eval('#diagram', (d) => d.innerHTML);
    const differs = await page.$$eval('#timeline li.differs', (l) => l.map((x) => (x as HTMLElement).dataset.step));
    expect(differs.length).toBeGreaterThan(0); // 7.2 and 7.3 part on COW
    const again = await browser.newPage();
    await again.goto(url);
    await again.waitForSelector('body[data-ready="true"]');
    expect(await again.$eval('#profile', (s) => (s as HTMLSelectElement).value)).toBe('7.2');
    expect(await again.$eval('#diff', (s) => (s as HTMLSelectElement).value)).toBe('7.3');
    expect(await again.$eval('#trace', (s) => (s as HTMLSelectElement).value)).toBe('task-to-ring-update-shared');
    expect(await again.$eval('#diagram', (d) => d.innerHTML)).toBe(svg);
    expect(await again.$$eval('#timeline li.differs', (l) => l.map((x) => (x as HTMLElement).dataset.step))).toEqual(differs);
    await again.screenshot({ path: join(SHOTS, 'diff-7.2-7.3.png') });
    // An edited trace travels in the URL too.
    await page.click('.cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\ntrace mine\n  ring r => 0\n  nnp => 0\nend\n');
    await page.waitForFunction(() => location.hash.includes('src='));
    await page.selectOption('#trace', 'mine');
    await page.click('#timeline li[data-step="1"]');
    const mine = page.url();
    await again.goto('about:blank');
    await again.goto(mine);
    await again.waitForSelector('body[data-ready="true"]');
    expect(await again.$eval('#trace', (s) => (s as HTMLSelectElement).value)).toBe('mine');
    expect(await again.$eval('#step-label', (s) => s.textContent)).toBe('step 1 of 1');
    await again.close();
    await page.close();
  });

  it('the filter inspector runs a filter on a context; the policy and matrix views draw', async () => {
    const page = await open('f=bpf-basics.trace&t=ctx-socket-pdu-size&k=7.3&s=0');
    await page.waitForSelector('#insp-listing tr.ran');
    expect(await page.$eval('#insp-result', (e) => e.textContent)).toMatch(/allows|denies/);
    // A broken filter is shown where it is; the last program that assembled stays in use.
    const rows = await page.$$eval('#insp-listing tr', (r) => r.length);
    await page.fill('#insp-text .cm-content', 'ld [8]\njeq #1, nowhere\nret #1');
    await page.waitForFunction(() => /line 2, column \d+/.test(document.querySelector('#insp-error')?.textContent ?? ''));
    expect(await page.$$eval('#insp-listing tr', (r) => r.length)).toBe(rows);
    await page.fill('#insp-text .cm-content', 'ld [16]\njeq #AF_INET, deny\nret #1\ndeny: ret #0');
    await page.selectOption('#insp-op', { label: 'SOCKET' });
    await page.fill('#insp-fields input[data-field="socket.family"]', 'AF_INET');
    await page.waitForFunction(() => /denies/.test(document.querySelector('#insp-result')?.textContent ?? ''));
    expect(await page.$$eval('#insp-listing tr.ran', (r) => r.length)).toBe(3); // ld, jeq, ret #0
    await page.screenshot({ path: join(SHOTS, 'inspector.png') });
    await page.click('#tab-policy');
    await page.waitForSelector('#policy li.policy', { state: 'attached' });
    expect(await page.$eval('#policy', (e) => e.textContent)).toContain('task init');
    await page.click('#tab-matrix');
    await page.waitForSelector('table.matrix td.holds');
    const matrixRows = await page.$$eval('table.matrix tbody tr', (r) => r.length);
    expect(matrixRows).toBeGreaterThan(100);
    await page.screenshot({ path: join(SHOTS, 'matrix.png') });
    await page.close();
  });

  it('the inspector\'s editor underlines an assembler error on its line as one types, and a fixed program gets a verdict', async () => {
    const page = await open('f=bpf-basics.trace&t=ctx-socket-pdu-size&k=7.3&s=0');
    await page.waitForSelector('#insp-listing tr.ran');
    // Highlighting: the mnemonics of the picked program are drawn as keywords.
    expect(await page.$$eval('#insp-text .cm-line span', (s) => s.length)).toBeGreaterThan(0);
    await page.click('#insp-text .cm-content');
    // Select all and delete first: typing over a selection in headless Chromium leaves a stray empty line.
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('ld [16]\njeq #AF_INET, deny\nbanana #1\ndeny: ret #0');
    await page.waitForSelector('#insp-text .cm-lintRange-error', { timeout: 10_000 });
    // The underline is on line 3, where the bad instruction is.
    const lines = await page.$$eval('#insp-text .cm-line', (ls) => ls.map((l) => `${l.querySelector('.cm-lintRange-error') ? '!' : ' '}${l.textContent}`));
    expect(lines).toEqual([' ld [16]', ' jeq #AF_INET, deny', '!banana #1', ' deny: ret #0']);
    expect(await page.$eval('#insp-error', (e) => e.textContent)).toMatch(/^line 3, column 1: /);
    await page.screenshot({ path: join(SHOTS, 'inspector-error.png') });
    // Fix it: select the bad line and type a good instruction.
    await page.click('#insp-text .cm-line:nth-child(3)');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('ret #1');
    await page.waitForFunction(() => !document.querySelector('#insp-text .cm-lintRange-error') && document.querySelector('#insp-error')?.textContent === '');
    await page.selectOption('#insp-op', { label: 'SOCKET' });
    await page.fill('#insp-fields input[data-field="socket.family"]', 'AF_INET6');
    await page.waitForFunction(() => /allows/.test(document.querySelector('#insp-result')?.textContent ?? ''));
    // AF_INET6 is not AF_INET: ld, jeq not taken, ret #1 (pc 0, 1, 2); pc 3 (deny) does not run.
    expect(await page.$$eval('#insp-listing tr.ran td:first-child', (r) => r.map((x) => x.textContent))).toEqual(['0', '1', '2']);
    await page.close();
  });

  it('redraw time per step on the largest scenario (printed, not asserted)', async () => {
    // The largest: the trace with the most steps among the bundled scenarios meant for 7.3.
    let best = { file: '', trace: '', steps: 0 };
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? (e.name === 'recorded' ? [] : walk(join(d, e.name))) : e.name.endsWith('.trace') ? [join(d, e.name)] : []);
    for (const path of walk(join(ROOT, 'scenarios'))) {
      const f = parseTraceFile(path, readFileSync(path, 'utf8'));
      if (!f.ok) continue;
      for (const t of f.value.traces) {
        if (t.kernels && !t.kernels.includes('7.3')) continue;
        if (t.commands.length > best.steps) best = { file: relative(join(ROOT, 'scenarios'), path), trace: t.name, steps: t.commands.length };
      }
    }
    const page = await open('f=cow.trace&k=7.3&s=0');
    await page.evaluate((b) => { location.hash = `f=${encodeURIComponent(b.file)}&t=${encodeURIComponent(b.trace)}&k=7.3&s=0`; }, best);
    await page.waitForSelector('#timeline li.selected[data-step="0"]');
    await page.evaluate(() => { (window as unknown as { __rf: { redraws: number[] } }).__rf.redraws = []; });
    await page.click('#timeline li[data-step="0"]');
    for (let i = 1; i < best.steps; i++) await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`#timeline li.selected[data-step="${best.steps - 1}"]`);
    const times = await page.evaluate(() => (window as unknown as { __rf: { redraws: number[] } }).__rf.redraws);
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`largest trace ${best.file}:${best.trace} (${best.steps} steps): redraw median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms over ${times.length} steps`);
    await page.screenshot({ path: join(SHOTS, 'largest.png') });
    await page.close();
  });

  it('no request left the page\'s origin', () => {
    expect(foreign).toEqual([]);
  });
});
