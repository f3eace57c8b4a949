// A plain aligned text table: a header row, a rule, body rows, optional footer.
// Cells are strings; columns are as wide as their widest cell.

export type Align = 'left' | 'right' | 'center';

export interface TableSpec {
  header: string[];
  rows: string[][];
  footer?: string[][];
  align?: Align[];
  /** Decorates a body cell after padding (colour), so decoration never breaks alignment. */
  paint?: (padded: string, raw: string) => string;
}

/** Display width of a string (code points; every character here is one column). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, a: Align): string {
  const gap = w - width(s);
  if (gap <= 0) return s;
  if (a === 'right') return ' '.repeat(gap) + s;
  if (a === 'center') {
    const l = Math.floor(gap / 2);
    return ' '.repeat(l) + s + ' '.repeat(gap - l);
  }
  return s + ' '.repeat(gap);
}

export function renderTable(t: TableSpec): string {
  const all = [t.header, ...t.rows, ...(t.footer ?? [])];
  const cols = Math.max(...all.map((r) => r.length));
  const w = Array.from({ length: cols }, (_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const align = (c: number): Align => t.align?.[c] ?? 'left';
  const line = (r: string[], paint?: TableSpec['paint']) =>
    r.map((cell, c) => {
      const p = pad(cell ?? '', w[c], align(c));
      return paint && c > 0 ? paint(p, cell ?? '') : p;
    }).join('  ').replace(/\s+$/, '');
  const rule = w.map((n) => '-'.repeat(n)).join('  ');
  const out = [line(t.header), rule, ...t.rows.map((r) => line(r, t.paint))];
  if (t.footer?.length) out.push(rule, ...t.footer.map((r) => line(r)));
  return out.join('\n');
}
