// The state diagram (graph.ts) as Graphviz DOT and as Mermaid: the same boxes,
// the trace's names, the same marks (changed, shared, COW) and a legend as the
// SVG the page draws.

import { LEGEND, type Box, type Diagram } from './graph.ts';

/** A dot string literal; real newlines become dot's `\n` line breaks. */
const q = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
/** Ids as DOT/Mermaid identifiers: `task:3` → `task_3`. */
const ident = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

const DOT_SHAPE: Record<Box['kind'], string> = { task: 'box, style="rounded,filled", fillcolor="#eef4ff"', ring: 'ellipse, style=filled, fillcolor="#f3efff"', table: 'folder, style=filled, fillcolor="#fff7e6"', node: 'box, style=filled, fillcolor="#eefaf0"', deny: 'octagon, style=filled, fillcolor="#ffe9e9"' };

const boxText = (b: Box) => [b.title, ...b.lines].join('\n') + (b.marks.includes('changed') ? '\n(changed)' : '');

/** One Graphviz digraph; `title` labels it. */
export function renderDot(d: Diagram, name: string, title: string): string {
  const out: string[] = [`digraph ${q(name)} {`, `  label=${q(title)}; labelloc=t; rankdir=LR; node [fontname="monospace"]; edge [fontname="monospace"];`];
  for (const b of d.boxes) {
    const extra = [b.marks.includes('changed') ? 'color="#e8590c", penwidth=3' : '', b.marks.includes('shared') ? 'peripheries=2' : ''].filter(Boolean).join(', ');
    out.push(`  ${ident(b.id)} [shape=${DOT_SHAPE[b.kind]}, label=${q(boxText(b))}${extra ? ', ' + extra : ''}];`);
  }
  for (const a of d.arrows) {
    const attrs = [
      a.label ? `label=${q(a.label)}` : '',
      a.kind === 'fd' ? 'style=dashed' : a.kind === 'parent' ? 'style=dotted' : '',
      a.marks.includes('cow') ? 'color="#b3261e", penwidth=2' : a.marks.includes('changed') ? 'color="#e8590c"' : '',
    ].filter(Boolean);
    out.push(`  ${ident(a.from)} -> ${ident(a.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('  subgraph cluster_legend { label="legend"; fontname="monospace"; style=dashed;');
  out.push(`    legend [shape=plaintext, fontname="monospace", label=${q(LEGEND.map((l) => l.text).join('\n'))}];`);
  out.push('  }');
  out.push('}');
  return out.join('\n');
}

const mq = (s: string) => '"' + s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>') + '"';
const MERMAID_SHAPE: Record<Box['kind'], [string, string]> = { task: ['(', ')'], ring: ['([', '])'], table: ['[/', '/]'], node: ['[', ']'], deny: ['{{', '}}'] };

/** One Mermaid flowchart, with classes for the marks and a legend note. */
export function renderMermaid(d: Diagram): string {
  const out: string[] = ['flowchart LR'];
  for (const b of d.boxes) {
    const [o, c] = MERMAID_SHAPE[b.kind];
    out.push(`  ${ident(b.id)}${o}${mq(boxText(b))}${c}`);
  }
  d.arrows.forEach((a) => {
    const arrow = a.kind === 'fd' || a.kind === 'parent' ? '-.->' : a.marks.includes('cow') ? '==>' : '-->';
    out.push(`  ${ident(a.from)} ${arrow}${a.label ? `|${mq(a.label)}|` : ''} ${ident(a.to)}`);
  });
  const changed = d.boxes.filter((b) => b.marks.includes('changed')).map((b) => ident(b.id));
  const shared = d.boxes.filter((b) => b.marks.includes('shared')).map((b) => ident(b.id));
  out.push('  classDef changed stroke:#e8590c,stroke-width:3px');
  out.push('  classDef shared stroke-width:3px,stroke-dasharray:2 2');
  if (changed.length) out.push(`  class ${changed.join(',')} changed`);
  if (shared.length) out.push(`  class ${shared.join(',')} shared`);
  out.push(`  legend[${mq('legend\n' + LEGEND.map((l) => l.text).join('\n'))}]`);
  return out.join('\n');
}
