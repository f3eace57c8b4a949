// The playground's targets (issue 13), measured in headless Debian Chromium against
// the built page served from loopback: time to interactive (the page's own
// `rf-interactive` mark: the editor takes input and the default example's diagram is
// drawn), the step redraw on the largest scenario (← and → through every step), and
// the gzipped bundle. Opt-in (`ringfence bench --only playground`): it needs
// `npm run playground:build` and /usr/bin/chromium (or $CHROMIUM), and says so when
// either is missing. Figures are printed, never asserted.

import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BenchContext, BenchSuite } from './harness.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { assetPath } from '../package/layout.ts';

const DIST = assetPath('dist', 'playground');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const LOADS = 7;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.json': 'application/json', '.wasm': 'application/wasm',
};

/** A static server for dist/playground/ on loopback (what any static host does). */
function serve(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, origin: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
  }));
}

const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (n: number) => Math.round(n / 102.4) / 10;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** The trace with the most commands among the bundled scenarios meant for 7.3 (as the browser test picks it). */
function largestTrace(): { file: string; trace: string; steps: number } {
  const root = assetPath('scenarios');
  let best = { file: '', trace: '', steps: 0 };
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'recorded' ? [] : walk(join(d, e.name))) : e.name.endsWith('.trace') ? [join(d, e.name)] : []);
  for (const path of walk(root)) {
    const f = parseTraceFile(path, readFileSync(path, 'utf8'));
    if (!f.ok) continue;
    for (const t of f.value.traces) {
      if (t.kernels && !t.kernels.includes('7.3')) continue;
      if (t.commands.length > best.steps) best = { file: relative(root, path).split(sep).join('/'), trace: t.name, steps: t.commands.length };
    }
  }
  return best;
}

/** What the bench's page functions reach in the browser (this file is type-checked without the DOM library). */
interface PageGlobal {
  document: {
    addEventListener(type: 'keydown', f: (e: { key: string; timeStamp: number }) => void): void;
    getElementById(id: string): { getBoundingClientRect(): unknown } | null;
    querySelector(sel: string): { getAttribute(name: string): string | null } | null;
  };
  requestAnimationFrame(f: () => void): void;
  __rfT: { laid: number; frame: number }[];
}

const load = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`;

async function run(b: BenchContext): Promise<void> {
  if (!existsSync(join(DIST, 'index.html'))) { b.line(`  skipped: ${relative(process.cwd(), DIST) || DIST}/index.html is missing (npm run playground:build first)`); return; }
  if (!existsSync(CHROMIUM)) { b.line(`  skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`); return; }
  let chromium: typeof import('playwright-core').chromium;
  try { ({ chromium } = await import('playwright-core')); } catch { b.line('  skipped: playwright-core is not installed (a devDependency)'); return; }

  // The bundle: what the first load fetches (found by watching it), and every file.
  const all = files(DIST);
  const gzAll = all.reduce((s, f) => s + gz(f), 0);
  b.line(`  ${load()}`);

  const { server, origin } = await serve(DIST);
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const foreign: string[] = [];
  try {
    // Loads: a fresh context each time, so nothing comes from a cache.
    const tti: number[] = [], fcp: number[] = [], fetchedAt: number[] = [], startAt: number[] = [], own: number[] = [];
    let fetched = new Set<string>();
    for (let i = 0; i < LOADS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1500, height: 900 } });
      const page = await ctx.newPage();
      const urls = new Set<string>();
      page.on('request', (r) => {
        const u = r.url();
        if (u.startsWith(origin + '/')) urls.add(new URL(u).pathname);
        else if (!u.startsWith('data:')) foreign.push(u);
      });
      await page.goto(origin + '/');
      await page.waitForSelector('body[data-ready="true"]');
      const t = await page.evaluate(() => ({
        interactive: performance.getEntriesByName('rf-interactive')[0]?.startTime ?? NaN,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        // The last script or style byte, the start of the page's own start-up code, and its length.
        fetched: Math.max(0, ...performance.getEntriesByType('resource').map((r) => (r as unknown as { responseEnd: number }).responseEnd)),
        start: performance.getEntriesByName('rf-start')[0]?.startTime ?? NaN,
        own: performance.getEntriesByName('rf-load')[0]?.duration ?? NaN,
      }));
      tti.push(t.interactive);
      fcp.push(t.fcp);
      fetchedAt.push(t.fetched);
      startAt.push(t.start);
      own.push(t.own);
      fetched = urls;
      await ctx.close();
    }
    const s = sorted(tti);
    b.figure('time to interactive, median', s[s.length >> 1], 'ms', `min ${s[0].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms over ${LOADS} cold loads (target <= 1000 ms)`);
    const med = (xs: number[]) => sorted(xs)[xs.length >> 1].toFixed(0);
    b.line(`  of which (medians): script and style fetched at ${med(fetchedAt)} ms, start-up code begins at ${med(startAt)} ms (parse, compile and the imported modules before it), runs ${med(own)} ms`);
    const f = sorted(fcp.filter((x) => !Number.isNaN(x)));
    if (f.length) b.figure('first contentful paint, median', f[f.length >> 1], 'ms', `min ${f[0].toFixed(0)} ms`);
    const startFiles = [...fetched].map((p) => join(DIST, p === '/' ? 'index.html' : p)).filter((p) => existsSync(p) && statSync(p).isFile());
    const gzStart = startFiles.reduce((sum, p) => sum + gz(p), 0);
    b.figure('bundle fetched on load, gzipped', kb(gzStart), 'KB', `${startFiles.length} files (target <= 600 KB)`);
    b.figure('every file of dist/playground, gzipped', kb(gzAll), 'KB', `${all.length} files, with the chunks loaded on demand`);
    b.line(`  ${load()}`);

    // Redraw: the largest scenario, → through every step and ← back, one key at a time.
    const big = largestTrace();
    const ctx = await browser.newContext({ viewport: { width: 1500, height: 900 } });
    const page = await ctx.newPage();
    page.on('request', (r) => { const u = r.url(); if (!u.startsWith(origin + '/') && !u.startsWith('data:')) foreign.push(u); });
    await page.goto(`${origin}/#f=${encodeURIComponent(big.file)}&t=${encodeURIComponent(big.trace)}&k=7.3&s=0`);
    await page.waitForSelector('body[data-ready="true"]');
    const n = await page.$$eval('#timeline li', (l) => l.length);
    // Timed from the key's input event to the new diagram laid out (a later listener on
    // the same event forces style and layout), and to the next animation frame.
    await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobal;
      w.__rfT = [];
      w.document.addEventListener('keydown', (e) => {
        if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
        w.document.getElementById('diagram')!.getBoundingClientRect();
        const laid = performance.now() - e.timeStamp;
        w.requestAnimationFrame(() => w.__rfT.push({ laid, frame: performance.now() - e.timeStamp }));
      });
    });
    const press = async (key: string, expectStep: number, k: number) => {
      await page.keyboard.press(key);
      await page.waitForFunction(([want, count]) => {
        const w = globalThis as unknown as PageGlobal;
        return w.__rfT.length >= count && w.document.querySelector('#timeline li.selected')?.getAttribute('data-step') === String(want);
      }, [expectStep, k] as const);
    };
    let k = 0;
    for (let i = 1; i < n; i++) await press('ArrowRight', i, ++k);
    for (let i = n - 2; i >= 0; i--) await press('ArrowLeft', i, ++k);
    const times = await page.evaluate(() => (globalThis as unknown as PageGlobal).__rfT);
    const laid = sorted(times.map((t) => t.laid)), frame = sorted(times.map((t) => t.frame));
    b.line(`  largest scenario: ${big.file}, trace ${big.trace} (${n} steps), ${times.length} redraws`);
    b.figure('step redraw (key to diagram laid out), median', at(laid, 0.5), 'ms', `p95 ${at(laid, 0.95).toFixed(1)} ms, max ${laid[laid.length - 1].toFixed(1)} ms, min ${laid[0].toFixed(1)} ms (target <= 50 ms)`);
    b.figure('step redraw (key to next frame), median', at(frame, 0.5), 'ms', `p95 ${at(frame, 0.95).toFixed(1)} ms, max ${frame[frame.length - 1].toFixed(1)} ms`);
    await ctx.close();
    b.figure('requests that left the page\'s origin', foreign.length, '', foreign.slice(0, 3).join(' '));
    b.line(`  ${load()}`);
  } finally {
    await browser.close();
    server.close();
  }
}

export const suite: BenchSuite = { name: 'playground', optIn: true, run };
