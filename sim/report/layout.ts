// A layered layout for the state diagram: columns by kind (tasks, rings, tables,
// then filter nodes by their place in a chain, DENY last), each column ordered by
// the mean position of what points into it so arrows cross little, and every arrow
// routed orthogonally around the boxes. Synchronous, pure and small: the page
// redraws a step in a few milliseconds, and `explain --svg` draws the same picture
// without a browser. (elkjs alone is 472 KB gzipped, which leaves no room in the
// page's 600 KB budget; see docs/playground.md.)
//
// Routing: an arrow that skips columns gets a placeholder (a "lane") in every column
// it crosses, ordered with the boxes, so its horizontal runs pass between boxes, never
// through one; its vertical runs sit in the gaps between columns, each on a track of
// its own. An arrow within one column (fork links) runs in the gap on the column's
// left; an arrow to an earlier column runs over the top, above every box. Each box
// spreads its arrows' ends along its side, ordered by where the other end lies.

import type { Box, Diagram } from './graph.ts';

export interface Placed {
  box: Box;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point { x: number; y: number }

export interface Route {
  /** Horizontal and vertical runs: the first point is on the source's side, the last on the target's. */
  points: Point[];
  /** Where the label ends (drawn with text-anchor end), just above the run into the target. */
  label: Point;
}

export interface Layout {
  width: number;
  height: number;
  boxes: Map<string, Placed>;
  /** Routes by arrow id (arrows whose ends are not both boxes of the diagram have none). */
  routes: Map<string, Route>;
}

export const CHAR_W = 7.2;
export const LINE_H = 16;
/** Width of a label's character (labels are drawn at 11px, boxes at 12px). */
export const LABEL_CHAR_W = CHAR_W * 0.85;
const PAD = 8;
const COL_GAP = 90;
const ROW_GAP = 18;
/** Space between a lane and a box above or below it in a column, and between two lanes. */
const LANE_GAP = 9;
const LANE_LANE = 6;
const TRACK = 5;
const MARGIN = 20;

function size(b: Box): { w: number; h: number } {
  const longest = Math.max(b.title.length, ...b.lines.map((l) => l.length));
  return { w: Math.ceil(longest * CHAR_W + 2 * PAD + 6), h: (1 + b.lines.length) * LINE_H + 2 * PAD };
}

/** An item of a column: a box, or the lane of an arrow crossing the column. */
interface Item { id: string; box: Box | null; h: number; y: number; preds: string[] }

interface Edge { id: string; from: string; to: string; label: string; kind: 'fwd' | 'same' | 'back'; lanes: string[] }

/** Columns: tasks, rings, tables; a filter node one after its deepest predecessor; DENY last. */
function columnsOf(d: Diagram, byId: Map<string, Box>): Map<string, number> {
  const col = new Map<string, number>();
  const into = new Map<string, string[]>();
  for (const a of d.arrows) {
    if (a.kind === 'parent' || !byId.has(a.from) || byId.get(a.to)?.kind !== 'node') continue;
    if (byId.get(a.from)!.kind === 'deny') continue;
    let l = into.get(a.to);
    if (!l) into.set(a.to, (l = []));
    l.push(a.from);
  }
  for (const b of d.boxes) {
    if (b.kind === 'task') col.set(b.id, 0);
    else if (b.kind === 'ring') col.set(b.id, 1);
    else if (b.kind === 'table') col.set(b.id, 2);
  }
  // Longest path from a table, depth first with an explicit stack (chains can be long);
  // a node met again while still open closes a cycle and counts as a chain's first.
  const open = new Set<string>();
  for (const b of d.boxes) {
    if (b.kind !== 'node' || col.has(b.id)) continue;
    const stack: { id: string; i: number; best: number }[] = [{ id: b.id, i: 0, best: 2 }];
    open.add(b.id);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const preds = into.get(top.id) ?? [];
      if (top.i < preds.length) {
        const p = preds[top.i++];
        const c = col.get(p);
        if (c !== undefined) top.best = Math.max(top.best, c);
        else if (!open.has(p)) { open.add(p); stack.push({ id: p, i: 0, best: 2 }); }
        continue;
      }
      stack.pop();
      open.delete(top.id);
      col.set(top.id, top.best + 1);
      if (stack.length) stack[stack.length - 1].best = Math.max(stack[stack.length - 1].best, top.best + 1);
    }
  }
  let last = 2;
  for (const c of col.values()) last = Math.max(last, c);
  for (const b of d.boxes) if (b.kind === 'deny') col.set(b.id, last + 1);
  // No empty columns: an arrow would otherwise cross a column of lanes only.
  const used = [...new Set(col.values())].sort((x, y) => x - y);
  const dense = new Map(used.map((c, i) => [c, i]));
  for (const [id, c] of col) col.set(id, dense.get(c)!);
  return col;
}

/** Tasks as the fork tree, depth first (iteratively: fork chains can be long). */
function forkOrder(d: Diagram, tasks: Item[]): Item[] {
  const parentOf = new Map<string, string>();
  const isTask = new Set(tasks.map((t) => t.id));
  for (const a of d.arrows) if (a.kind === 'parent' && isTask.has(a.from) && isTask.has(a.to) && a.from !== a.to) parentOf.set(a.to, a.from);
  const kids = new Map<string, Item[]>();
  for (const t of tasks) {
    const p = parentOf.get(t.id);
    if (p === undefined) continue;
    let l = kids.get(p);
    if (!l) kids.set(p, (l = []));
    l.push(t);
  }
  const ordered: Item[] = [];
  const done = new Set<string>();
  const visit = (root: Item) => {
    const stack = [root];
    while (stack.length) {
      const t = stack.pop()!;
      if (done.has(t.id)) continue;
      done.add(t.id);
      ordered.push(t);
      const ks = kids.get(t.id) ?? [];
      for (let i = ks.length - 1; i >= 0; i--) stack.push(ks[i]);
    }
  };
  for (const t of tasks) if (!parentOf.has(t.id)) visit(t);
  for (const t of tasks) visit(t); // what a parent cycle left out
  return ordered;
}

export function layoutDiagram(d: Diagram): Layout {
  const byId = new Map(d.boxes.map((b) => [b.id, b]));
  const col = columnsOf(d, byId);
  const ncols = Math.max(0, ...[...col.values()].map((c) => c + 1));
  const columns: Item[][] = Array.from({ length: ncols }, () => []);
  const items = new Map<string, Item>();
  for (const b of d.boxes) {
    const it: Item = { id: b.id, box: b, h: size(b).h, y: 0, preds: [] };
    items.set(b.id, it);
    columns[col.get(b.id)!].push(it);
  }

  // Edges, with a lane in every column a forward arrow crosses.
  const edges: Edge[] = [];
  for (const a of d.arrows) {
    if (!byId.has(a.from) || !byId.has(a.to)) continue;
    const cf = col.get(a.from)!, ct = col.get(a.to)!;
    const e: Edge = { id: a.id, from: a.from, to: a.to, label: a.kind === 'parent' ? '' : a.label, kind: ct > cf ? 'fwd' : ct === cf ? 'same' : 'back', lanes: [] };
    if (e.kind === 'fwd') {
      let prev = a.from;
      for (let c = cf + 1; c < ct; c++) {
        const lane: Item = { id: `${a.id}\u0000${c}`, box: null, h: 0, y: 0, preds: [prev] };
        items.set(lane.id, lane);
        columns[c].push(lane);
        e.lanes.push(lane.id);
        prev = lane.id;
      }
      items.get(a.to)!.preds.push(prev);
    }
    edges.push(e);
  }

  // Order: tasks as the fork tree, then each column by its predecessors' mean rank.
  const rank = new Map<string, number>();
  if (ncols > 0) {
    const first = columns[0];
    const tasks = forkOrder(d, first.filter((i) => i.box?.kind === 'task'));
    columns[0] = [...tasks, ...first.filter((i) => i.box?.kind !== 'task')];
    columns[0].forEach((t, i) => rank.set(t.id, i));
  }
  const spread = Math.max(1, columns[0]?.length ?? 1);
  for (let c = 1; c < ncols; c++) {
    const scored = columns[c].map((it, i) => {
      let sum = 0, n = 0;
      for (const p of it.preds) { const r = rank.get(p); if (r !== undefined) { sum += r; n++; } }
      return { it, s: n ? sum / n : Number.MAX_SAFE_INTEGER, i };
    });
    scored.sort((x, y) => x.s - y.s || x.i - y.i);
    columns[c] = scored.map((x) => x.it);
    // Spread ranks over the first column's height so the next column's means compare across columns.
    columns[c].forEach((it, i) => rank.set(it.id, ((i + 0.5) * spread) / columns[c].length));
  }

  // Heights: stack each column, lanes close to what is around them, then centre the columns.
  const heights = columns.map((list) => {
    let y = 0;
    list.forEach((it, i) => {
      if (i > 0) { const prev = list[i - 1]; y += prev.box && it.box ? ROW_GAP : prev.box || it.box ? LANE_GAP : LANE_LANE; }
      it.y = y;
      y += it.h;
    });
    return y;
  });
  const back = edges.filter((e) => e.kind === 'back');
  const top = MARGIN + (back.length ? back.length * TRACK + 10 : 0);
  const height = Math.max(0, ...heights);
  columns.forEach((list, c) => { for (const it of list) it.y += top + (height - heights[c]) / 2; });

  // Ports: each box spreads the ends on each side, ordered by the y of the next point out.
  const centre = (id: string) => { const it = items.get(id)!; return it.y + it.h / 2; };
  const sides = new Map<string, { key: number; edge: number; end: 'from' | 'to' }[]>();
  const attach = (box: string, side: 'L' | 'R', key: number, edge: number, end: 'from' | 'to') => {
    const k = box + side;
    let l = sides.get(k);
    if (!l) sides.set(k, (l = []));
    l.push({ key, edge, end });
  };
  edges.forEach((e, i) => {
    if (e.kind === 'fwd') {
      attach(e.from, 'R', centre(e.lanes[0] ?? e.to), i, 'from');
      attach(e.to, 'L', centre(e.lanes[e.lanes.length - 1] ?? e.from), i, 'to');
    } else if (e.kind === 'same') {
      attach(e.from, 'L', centre(e.to) - 0.5, i, 'from');
      attach(e.to, 'L', centre(e.from) + 0.5, i, 'to');
    } else {
      attach(e.from, 'R', -Infinity, i, 'from');
      attach(e.to, 'L', -Infinity, i, 'to');
    }
  });
  const portY: { from: number; to: number }[] = edges.map(() => ({ from: 0, to: 0 }));
  for (const [k, list] of sides) {
    const it = items.get(k.slice(0, -1))!;
    list.sort((a, b) => a.key - b.key || a.edge - b.edge);
    list.forEach((p, i) => { portY[p.edge][p.end] = it.y + (it.h * (i + 1)) / (list.length + 1); });
  }

  // Gaps: gap g lies right of column g (g = -1 is the left margin, g = ncols - 1 the right one).
  // Each vertical run gets a track; labels sit right of the tracks, before the target.
  interface Run { edge: number; y0: number; y1: number; x: number }
  const runs = new Map<number, Run[]>();
  const labelW = new Map<number, number>();
  const run = (g: number, edge: number, y0: number, y1: number): Run => {
    const r = { edge, y0, y1, x: 0 };
    if (y0 !== y1) { let l = runs.get(g); if (!l) runs.set(g, (l = [])); l.push(r); }
    return r;
  };
  const laneYs = (e: Edge) => e.lanes.map((l) => items.get(l)!.y);
  const plans = edges.map((e, i) => {
    const cf = col.get(e.from)!, ct = col.get(e.to)!;
    const into = ct - 1;
    labelW.set(into, Math.max(labelW.get(into) ?? 0, e.label.length * LABEL_CHAR_W));
    const p = portY[i];
    if (e.kind === 'fwd') {
      const ys = [p.from, ...laneYs(e), p.to];
      return ys.slice(1).map((y, k) => run(cf + k, i, ys[k], y));
    }
    if (e.kind === 'same') return [run(cf - 1, i, p.from, p.to)];
    const laneY = MARGIN + back.indexOf(e) * TRACK;
    return [run(cf, i, p.from, laneY), run(ct - 1, i, laneY, p.to)];
  });
  const gapW = (g: number) => {
    const tracks = runs.get(g)?.length ?? 0;
    const lw = labelW.get(g) ?? 0;
    const need = (tracks ? 8 + tracks * TRACK : 0) + (lw ? lw + 16 : 0);
    return g === -1 || g === ncols - 1 ? MARGIN + need : Math.max(COL_GAP, need + 12);
  };
  // Column x and width (every box of a column is as wide as its widest).
  const colX: number[] = [];
  const colW: number[] = [];
  let x = gapW(-1);
  for (let c = 0; c < ncols; c++) {
    colX.push(x);
    colW.push(Math.max(0, ...columns[c].filter((it) => it.box).map((it) => size(it.box!).w)));
    x += colW[c] + gapW(c);
  }
  const width = Math.max(x, 2 * MARGIN);
  const gapLeft = (g: number) => (g === -1 ? 0 : colX[g] + colW[g]);
  // Tracks: a run going down that starts higher sits further right, and the other way
  // round for runs going up, so runs of one gap do not cross where that can be avoided.
  for (const [g, list] of runs) {
    if (g === -1) {
      // The left margin (fork links of the first column): the longest run outermost, so nested ones do not cross.
      list.sort((a, b) => Math.abs(b.y1 - b.y0) - Math.abs(a.y1 - a.y0) || a.y0 - b.y0);
      list.forEach((r, i) => { r.x = colX[0] - 6 - (list.length - 1 - i) * TRACK; });
      continue;
    }
    const up = list.filter((r) => r.y1 < r.y0).sort((a, b) => a.y0 - b.y0);
    const down = list.filter((r) => r.y1 > r.y0).sort((a, b) => b.y0 - a.y0);
    [...up, ...down].forEach((r, i) => { r.x = gapLeft(g) + 8 + i * TRACK; });
  }

  const boxes = new Map<string, Placed>();
  for (const list of columns) for (const it of list) {
    if (it.box) boxes.set(it.id, { box: it.box, x: colX[col.get(it.id)!], y: it.y, w: colW[col.get(it.id)!], h: it.h });
  }
  const routes = new Map<string, Route>();
  edges.forEach((e, i) => {
    const s = boxes.get(e.from)!, t = boxes.get(e.to)!;
    const p = portY[i];
    const pts: Point[] = [];
    const to = { x: t.x, y: p.to };
    if (e.kind === 'same') pts.push({ x: s.x, y: p.from });
    else pts.push({ x: s.x + s.w, y: p.from });
    for (const r of plans[i]) {
      if (r.y0 === r.y1) continue;
      pts.push({ x: r.x, y: r.y0 }, { x: r.x, y: r.y1 });
    }
    pts.push(to);
    routes.set(e.id, { points: simplify(pts), label: { x: t.x - 8, y: p.to - 4 } });
  });
  return { width, height: height + top + MARGIN, boxes, routes };
}

/** Drop points in the middle of a straight run (and repeated points). */
function simplify(pts: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of pts) {
    const a = out[out.length - 2], b = out[out.length - 1];
    if (b && b.x === p.x && b.y === p.y) continue;
    if (a && b && ((a.x === b.x && b.x === p.x) || (a.y === b.y && b.y === p.y))) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}
