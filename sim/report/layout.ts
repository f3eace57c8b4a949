// A layered layout for the state diagram: columns by kind (tasks, rings, tables,
// then filter nodes by their place in a chain, DENY last), each column ordered by
// the mean position of what points into it so arrows cross little. Synchronous,
// pure and small: the page redraws a step in a few milliseconds, and `explain --svg`
// draws the same picture without a browser. (elkjs alone is 472 KB gzipped, which
// leaves no room in the page's 600 KB budget; see docs/playground.md.)

import type { Box, Diagram } from './graph.ts';

export interface Placed {
  box: Box;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  width: number;
  height: number;
  boxes: Map<string, Placed>;
}

export const CHAR_W = 7.2;
export const LINE_H = 16;
const PAD = 8;
const COL_GAP = 90;
const ROW_GAP = 18;
const MARGIN = 20;

function size(b: Box): { w: number; h: number } {
  const longest = Math.max(b.title.length, ...b.lines.map((l) => l.length));
  return { w: Math.ceil(longest * CHAR_W + 2 * PAD + 6), h: (1 + b.lines.length) * LINE_H + 2 * PAD };
}

export function layoutDiagram(d: Diagram): Layout {
  const byId = new Map(d.boxes.map((b) => [b.id, b]));
  const into = new Map<string, string[]>();
  for (const a of d.arrows) {
    if (a.kind === 'parent') continue;
    if (!byId.has(a.from) || !byId.has(a.to)) continue;
    into.set(a.to, [...(into.get(a.to) ?? []), a.from]);
  }
  // Column of each box: nodes by their depth in a chain (longest path from a table).
  const col = new Map<string, number>();
  for (const b of d.boxes) {
    if (b.kind === 'task') col.set(b.id, 0);
    else if (b.kind === 'ring') col.set(b.id, 1);
    else if (b.kind === 'table') col.set(b.id, 2);
  }
  const nodeCol = (id: string, seen: Set<string>): number => {
    const c = col.get(id);
    if (c !== undefined) return c;
    if (seen.has(id)) return 3;
    seen.add(id);
    const preds = into.get(id) ?? [];
    const v = Math.max(2, ...preds.map((p) => nodeCol(p, seen))) + 1;
    col.set(id, v);
    return v;
  };
  for (const b of d.boxes) if (b.kind === 'node') nodeCol(b.id, new Set());
  const last = Math.max(2, ...[...col.values()]);
  for (const b of d.boxes) if (b.kind === 'deny') col.set(b.id, last + 1);

  const columns: Box[][] = [];
  for (const b of d.boxes) {
    const c = col.get(b.id)!;
    (columns[c] ??= []).push(b);
  }
  // Order: tasks as the fork tree (depth first), then each column by its predecessors' mean rank.
  const rank = new Map<string, number>();
  const tasks = columns[0] ?? [];
  const kids = new Map<string, Box[]>();
  const parentOf = new Map<string, string>();
  for (const a of d.arrows) if (a.kind === 'parent') parentOf.set(a.to, a.from);
  for (const t of tasks) {
    const p = parentOf.get(t.id);
    if (p) kids.set(p, [...(kids.get(p) ?? []), t]);
  }
  const ordered: Box[] = [];
  const visit = (t: Box) => { ordered.push(t); for (const k of kids.get(t.id) ?? []) visit(k); };
  for (const t of tasks) if (!parentOf.has(t.id)) visit(t);
  for (const t of tasks) if (!ordered.includes(t)) ordered.push(t);
  columns[0] = ordered;
  ordered.forEach((t, i) => rank.set(t.id, i));
  for (let c = 1; c < columns.length; c++) {
    const list = columns[c] ?? [];
    const score = (b: Box) => {
      const ps = (into.get(b.id) ?? []).map((p) => rank.get(p)).filter((r): r is number => r !== undefined);
      return ps.length ? ps.reduce((s, r) => s + r, 0) / ps.length : Number.MAX_SAFE_INTEGER;
    };
    const scored = list.map((b, i) => ({ b, s: score(b), i }));
    scored.sort((x, y) => x.s - y.s || x.i - y.i);
    columns[c] = scored.map((x) => x.b);
    // Spread ranks over the column's height so the next column's means compare across columns.
    columns[c].forEach((b, i) => rank.set(b.id, (i + 0.5) * (ordered.length || 1) / (columns[c].length || 1)));
  }

  const boxes = new Map<string, Placed>();
  let x = MARGIN;
  const heights: number[] = [];
  const placedCols: Placed[][] = [];
  for (const list of columns) {
    if (!list || list.length === 0) { placedCols.push([]); heights.push(0); continue; }
    const sizes = list.map(size);
    const w = Math.max(...sizes.map((s) => s.w));
    let y = 0;
    const placed = list.map((b, i) => {
      const p = { box: b, x, y, w, h: sizes[i].h };
      y += sizes[i].h + ROW_GAP;
      return p;
    });
    placedCols.push(placed);
    heights.push(y - ROW_GAP);
    x += w + COL_GAP;
  }
  const height = Math.max(0, ...heights);
  placedCols.forEach((list, c) => {
    const off = MARGIN + (height - heights[c]) / 2;
    for (const p of list) { p.y += off; boxes.set(p.box.id, p); }
  });
  return { width: Math.max(x - COL_GAP + MARGIN, 2 * MARGIN), height: height + 2 * MARGIN, boxes };
}
