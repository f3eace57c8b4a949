// Edge routing of the state diagram: over every step of every bundled scenario (the
// diagrams the playground and `explain --svg` draw), and over random diagrams, no
// run of an arrow touches a box that is not one of its ends, and every arrow starts
// on its source's border and ends on its target's. The geometry below is stated on
// its own (any segment against a rectangle), not with the layout's lanes and tracks.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { defaultProfileFor, stepState, stepTrace } from '../../sim/report/steps.ts';
import { layoutDiagram, type Point } from '../../sim/report/layout.ts';
import { renderSvg } from '../../sim/report/svg.ts';
import type { Arrow, Box, BoxKind, Diagram } from '../../sim/report/graph.ts';

interface Rect { id: string; x: number; y: number; w: number; h: number }

/** Does the segment p-q meet the closed rectangle r (grown by `pad` on each side)? Liang-Barsky clipping. */
function meets(p: Point, q: Point, r: Rect, pad = 0): boolean {
  const x0 = r.x - pad, x1 = r.x + r.w + pad, y0 = r.y - pad, y1 = r.y + r.h + pad;
  let t0 = 0, t1 = 1;
  const dx = q.x - p.x, dy = q.y - p.y;
  for (const [num, den] of [[p.x - x0, -dx], [x1 - p.x, dx], [p.y - y0, -dy], [y1 - p.y, dy]]) {
    if (den === 0) { if (num < 0) return false; continue; }
    const t = num / den;
    if (den < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

const onBorder = (p: Point, r: Rect, eps = 1e-6) => {
  const inX = p.x >= r.x - eps && p.x <= r.x + r.w + eps, inY = p.y >= r.y - eps && p.y <= r.y + r.h + eps;
  return (inY && (Math.abs(p.x - r.x) < eps || Math.abs(p.x - r.x - r.w) < eps)) ||
    (inX && (Math.abs(p.y - r.y) < eps || Math.abs(p.y - r.y - r.h) < eps));
};

/** Every problem of one drawing: arrows through other boxes, arrows not ending on their boxes. */
function problems(rects: Map<string, Rect>, arrows: { id: string; from: string; to: string; points: Point[] }[]): string[] {
  const out: string[] = [];
  for (const a of arrows) {
    const f = rects.get(a.from)!, t = rects.get(a.to)!;
    if (a.points.length < 2) { out.push(`${a.id}: fewer than two points`); continue; }
    if (!onBorder(a.points[0], f)) out.push(`${a.id}: starts at ${JSON.stringify(a.points[0])}, not on ${a.from}'s border`);
    if (!onBorder(a.points[a.points.length - 1], t)) out.push(`${a.id}: ends at ${JSON.stringify(a.points[a.points.length - 1])}, not on ${a.to}'s border`);
    for (let i = 1; i < a.points.length; i++) {
      for (const r of rects.values()) {
        if (r.id === a.from || r.id === a.to) continue;
        // Touching counts: a run along another box's border is as bad as one through it.
        if (meets(a.points[i - 1], a.points[i], r)) out.push(`${a.id}: run ${i} meets ${r.id}`);
      }
    }
  }
  return out;
}

function layoutProblems(d: Diagram, lay = layoutDiagram(d)): string[] {
  const rects = new Map([...lay.boxes].map(([id, p]) => [id, { id, x: p.x, y: p.y, w: p.w, h: p.h }]));
  const arrows = d.arrows.filter((a) => rects.has(a.from) && rects.has(a.to));
  const missing = arrows.filter((a) => !lay.routes.has(a.id)).map((a) => `${a.id}: no route`);
  return [...missing, ...problems(rects, arrows.filter((a) => lay.routes.has(a.id)).map((a) => ({ ...a, points: lay.routes.get(a.id)!.points })))];
}

/** The same check read back from the SVG text `explain --svg` writes. */
function svgProblems(svg: string): string[] {
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  const rects = new Map<string, Rect>();
  for (const m of svg.matchAll(/<g class="box[^"]*" data-id="([^"]*)"[^>]*><rect class="outer"([^>]*)\/>/g)) {
    rects.set(m[1], { id: m[1], x: Number(attr(m[2], 'x')), y: Number(attr(m[2], 'y')), w: Number(attr(m[2], 'width')), h: Number(attr(m[2], 'height')) });
  }
  const arrows = [...svg.matchAll(/<g class="arrow[^"]*" data-id="([^"]*)" data-from="([^"]*)" data-to="([^"]*)"[^>]*><path d="([^"]*)"/g)].map((m) => ({
    id: m[1], from: m[2], to: m[3],
    points: [...m[4].matchAll(/[ML](-?[\d.e-]+),(-?[\d.e-]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) })),
  }));
  if (rects.size === 0) return ['no box in the SVG'];
  return problems(rects, arrows);
}

const ROOT = join(import.meta.dirname, '../..');
const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (e.name === 'recorded' ? [] : walk(join(d, e.name))) : e.name.endsWith('.trace') ? [join(d, e.name)] : []);

describe('diagram layout: arrows routed around boxes', () => {
  it('every step of every bundled scenario: no arrow meets a box it does not join, every arrow ends on its boxes (layout and SVG)', () => {
    let diagrams = 0, arrows = 0, bent = 0;
    const bad: string[] = [];
    for (const path of walk(join(ROOT, 'scenarios'))) {
      const f = parseTraceFile(path, readFileSync(path, 'utf8'));
      if (!f.ok) throw new Error(`${path}: ${f.error[0].message}`);
      for (const t of f.value.traces) {
        const s = stepTrace(t, getProfile(defaultProfileFor(t))!);
        for (let i = 0; i < s.steps.length; i++) {
          const d = stepState(s, i).diagram;
          diagrams++;
          arrows += d.arrows.length;
          const where = `${relative(ROOT, path)}:${t.name} step ${i}`;
          const lay = layoutDiagram(d);
          for (const p of layoutProblems(d, lay)) bad.push(`${where}: ${p}`);
          for (const p of svgProblems(renderSvg(d))) bad.push(`${where} (svg): ${p}`);
          for (const r of lay.routes.values()) if (r.points.length > 2) bent++;
        }
      }
    }
    expect(bad.slice(0, 20)).toEqual([]);
    // The check saw real pictures: many diagrams, and arrows that had to turn.
    expect(diagrams).toBeGreaterThan(500);
    expect(arrows).toBeGreaterThan(2000);
    expect(bent).toBeGreaterThan(100);
  });

  it('random diagrams (any kinds, any arrows, cycles, arrows back and within a column)', () => {
    const kinds: BoxKind[] = ['task', 'ring', 'table', 'node', 'deny'];
    const arb = fc.record({
      boxes: fc.array(fc.record({ kind: fc.constantFrom(...kinds), lines: fc.nat(3), title: fc.string({ maxLength: 14 }) }), { minLength: 1, maxLength: 14 }),
      arrows: fc.array(fc.record({ from: fc.nat(20), to: fc.nat(20), parent: fc.boolean(), label: fc.string({ maxLength: 10 }) }), { maxLength: 30 }),
    });
    fc.assert(fc.property(arb, (g) => {
      let denySeen = false;
      const boxes: Box[] = g.boxes.flatMap((b, i): Box[] => {
        if (b.kind === 'deny') { if (denySeen) return []; denySeen = true; }
        return [{ id: b.kind === 'deny' ? 'deny' : `${b.kind}:${i}`, kind: b.kind, title: b.title, lines: Array.from({ length: b.lines }, (_, k) => `line ${k}`), marks: [] }];
      });
      const arrows: Arrow[] = g.arrows.map((a, i) => ({
        id: `a${i}`, from: boxes[a.from % boxes.length].id, to: boxes[a.to % boxes.length].id,
        kind: a.parent ? 'parent' : 'chain', label: a.label, marks: [],
      }));
      const d = { boxes, arrows };
      expect(layoutProblems(d)).toEqual([]);
      expect(svgProblems(renderSvg(d))).toEqual([]);
    }), { numRuns: 300 });
  });

  it('the checks can fail: a straight line across the middle column meets its box', () => {
    const box = (id: string, kind: BoxKind): Box => ({ id, kind, title: id, lines: [], marks: [] });
    const d: Diagram = { boxes: [box('task:1', 'task'), box('ring:1', 'ring'), box('table:1', 'table')], arrows: [] };
    const lay = layoutDiagram(d);
    const [a, b, c] = ['task:1', 'ring:1', 'table:1'].map((id) => lay.boxes.get(id)!);
    const rects = new Map([a, b, c].map((p) => [p.box.id, { id: p.box.id, x: p.x, y: p.y, w: p.w, h: p.h }]));
    const straight = [{ x: a.x + a.w, y: a.y + a.h / 2 }, { x: c.x, y: c.y + c.h / 2 }];
    expect(problems(rects, [{ id: 'x', from: 'task:1', to: 'table:1', points: straight }])).toEqual(['x: run 1 meets ring:1']);
    expect(problems(rects, [{ id: 'y', from: 'task:1', to: 'ring:1', points: [{ x: a.x + 1, y: a.y + 1 }, { x: b.x, y: b.y + 1 }] }])[0]).toMatch(/not on task:1's border/);
  });
});
