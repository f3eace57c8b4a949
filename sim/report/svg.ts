// The state diagram as an SVG document: the page shows it and `explain --svg`
// writes it. Every box and arrow carries its stable id and marks as data
// attributes (data-id, data-refs, data-marks; arrows data-from and data-to), which
// the browser tests and the routing test read.

import { LEGEND, type Arrow, type Diagram } from './graph.ts';
import { CHAR_W, LINE_H, layoutDiagram, type Placed, type Route } from './layout.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Colours and strokes; inline so a saved SVG looks like the page. */
export const DIAGRAM_CSS = `
.rf-diagram { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.rf-diagram .box rect { stroke: #5b6472; stroke-width: 1.2; fill: #ffffff; }
.rf-diagram .box.task rect { fill: #eef4ff; }
.rf-diagram .box.ring rect { fill: #f3efff; }
.rf-diagram .box.table rect { fill: #fff7e6; }
.rf-diagram .box.node rect { fill: #eefaf0; }
.rf-diagram .box.deny rect { fill: #ffe9e9; stroke: #b3261e; }
.rf-diagram .box .title { font-weight: 700; fill: #1c2330; }
.rf-diagram .box .line { fill: #3a4352; }
.rf-diagram .box.shared rect.outer { stroke-width: 1.2; }
.rf-diagram .box .inner { fill: none; stroke: #5b6472; stroke-width: 1; }
.rf-diagram .box.changed rect.outer { stroke: #e8590c; stroke-width: 3; }
.rf-diagram .arrow path { fill: none; stroke: #5b6472; stroke-width: 1.3; stroke-linejoin: round; }
.rf-diagram .arrow.fd path { stroke-dasharray: 6 4; }
.rf-diagram .arrow.parent path { stroke-dasharray: 2 3; stroke: #8a93a3; }
.rf-diagram .arrow.cow path { stroke: #b3261e; stroke-width: 2; }
.rf-diagram .arrow.changed path { stroke: #e8590c; }
.rf-diagram .arrow text { fill: #3a4352; font-size: 11px; }
.rf-diagram .arrow.cow text { fill: #b3261e; font-weight: 700; }
.rf-diagram .legend text { fill: #3a4352; font-size: 11px; }
`;

function boxSvg(p: Placed): string {
  const b = p.box;
  const cls = ['box', b.kind, ...b.marks].join(' ');
  const r = b.kind === 'task' || b.kind === 'ring' ? 10 : b.kind === 'deny' ? 2 : 4;
  const shared = b.marks.includes('shared');
  const text = [`<text class="title" x="${p.x + 8}" y="${p.y + 8 + 12}">${esc(b.title)}</text>`];
  b.lines.forEach((l, i) => text.push(`<text class="line" x="${p.x + 8}" y="${p.y + 8 + 12 + (i + 1) * LINE_H}">${esc(l)}</text>`));
  return `<g class="${cls}" data-id="${esc(b.id)}"${b.refs !== undefined ? ` data-refs="${b.refs}"` : ''} data-marks="${b.marks.join(' ')}">` +
    `<rect class="outer" x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" rx="${r}"/>` +
    (shared ? `<rect class="inner" x="${p.x + 3}" y="${p.y + 3}" width="${p.w - 6}" height="${p.h - 6}" rx="${Math.max(0, r - 2)}"/>` : '') +
    text.join('') + '</g>';
}

function arrowSvg(a: Arrow, r: Route): string {
  const cls = ['arrow', a.kind, ...a.marks].join(' ');
  const path = r.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
  const label = a.label && a.kind !== 'parent'
    ? `<text x="${r.label.x}" y="${r.label.y}" text-anchor="end">${esc(a.label)}</text>` : '';
  return `<g class="${cls}" data-id="${esc(a.id)}" data-from="${esc(a.from)}" data-to="${esc(a.to)}" data-marks="${a.marks.join(' ')}"><path d="${path}" marker-end="url(#rf-arrow)"/>${label}</g>`;
}

export interface SvgOptions {
  /** A heading drawn above the diagram. */
  title?: string;
  /** Draw the legend under the diagram (default true). */
  legend?: boolean;
}

/** The diagram as one SVG document (standalone: its own styles, no external references). */
export function renderSvg(d: Diagram, opts: SvgOptions = {}): string {
  const lay = layoutDiagram(d);
  const top = opts.title ? 28 : 0;
  const legend = opts.legend === false ? [] : LEGEND;
  const legendH = legend.length ? 24 + legend.length * 15 : 0;
  const width = Math.max(lay.width + 40, opts.title ? opts.title.length * CHAR_W + 40 : 0, legend.length ? 560 : 0);
  const height = lay.height + top + legendH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="rf-diagram" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}">`);
  parts.push(`<style>${DIAGRAM_CSS}</style>`);
  parts.push('<defs><marker id="rf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6472"/></marker></defs>');
  parts.push(`<rect x="0" y="0" width="100%" height="100%" fill="#fcfcfd"/>`);
  if (opts.title) parts.push(`<text x="20" y="20" font-weight="700" fill="#1c2330">${esc(opts.title)}</text>`);
  parts.push(`<g transform="translate(20,${top})">`);
  for (const a of d.arrows) {
    const r = lay.routes.get(a.id);
    if (r) parts.push(arrowSvg(a, r));
  }
  for (const p of lay.boxes.values()) parts.push(boxSvg(p));
  parts.push('</g>');
  if (legend.length) {
    const y0 = lay.height + top + 14;
    parts.push(`<g class="legend" transform="translate(20,${y0})"><text x="0" y="0" font-weight="700">legend</text>`);
    legend.forEach((l, i) => parts.push(`<text x="0" y="${(i + 1) * 15}">${esc(l.text)}</text>`));
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}
