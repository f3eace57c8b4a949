// A canonical text of a reference world: two worlds with the same text answer every
// future call sequence the same way. Ring and table ids are renumbered in order of
// first reach, filters are named by their program, unreachable rings and tables drop.
// Worlds share unchanged parts, so the texts of immutable parts are memoised.

import type { Holder, Legacy, Ring, Table, World } from './state.ts';

const legacyText = new WeakMap<Legacy, string>();
const tableText = new WeakMap<Table, string>();
const ringText = new WeakMap<Ring, string>();

function legacy(l: Legacy): string {
  let s = legacyText.get(l);
  if (s === undefined) {
    s = `${l.sqeOps.toString(36)}.${l.regOps.toString(36)}.${l.allowed}.${l.required}.${+l.opReg}${+l.regReg}`;
    legacyText.set(l, s);
  }
  return s;
}

function table(t: Table): string {
  let s = tableText.get(t);
  if (s === undefined) {
    s = '';
    for (const op of [...t.chains.keys()].sort((a, b) => a - b)) s += `${op}=${t.chains.get(op)!.map((f) => (f === 'DENY' ? '!' : f.name)).join('>')},`;
    if (t.deny) s += `!${t.deny.toString(36)}`;
    tableText.set(t, s);
  }
  return s;
}

function ring(r: Ring): string {
  let s = ringText.get(r);
  if (s === undefined) {
    s = `${r.sqSize}:${+r.rDisabled}${+r.submitAll}${+r.opRestricted}${+r.regRestricted}${+r.regListInherited}${+r.armed}${+r.registered}:${legacy(r.rs.legacy)}`;
    if (r.pending.length) s += ':q' + r.pending.map((q) => `${q.opcode}.${q.flags}.${q.ud}.${q.fd}.${q.off}.${q.len}.${q.addr}.${q.opf}.${q.buf}.${q.fidx}${q.extra ? 'x' : ''}`).join(',');
    if (r.cq.length) s += ':c' + r.cq.map((c) => `${c.ud}.${c.res}.${c.flags}`).join(',');
    ringText.set(r, s);
  }
  return s;
}

export function canonKey(w: World): string {
  const ringNo = new Map<number, number>();
  const tableNo = new Map<number, number>();
  const tableRef = (h: Holder): string => {
    if (h.table === null) return '';
    let n = tableNo.get(h.table);
    if (n === undefined) tableNo.set(h.table, (n = tableNo.size));
    return h.cow ? `/t${n}c` : `/t${n}`;
  };
  let out = '';
  for (const t of w.tasks) {
    if (!t.alive) { out += `${t.name}:dead|`; continue; }
    out += `${t.name}:${t.uid}${t.nnp ? 'n' : ''}:${t.rs === null ? '-' : legacy(t.rs.legacy) + tableRef(t.rs)}:`;
    const names = t.fds.size > 1 ? [...t.fds.keys()].sort() : [...t.fds.keys()];
    for (const name of names) {
      const id = t.fds.get(name)!;
      let n = ringNo.get(id);
      if (n === undefined) ringNo.set(id, (n = ringNo.size));
      out += `${name}=r${n},`;
    }
    out += '|';
  }
  for (const [id, n] of ringNo) {
    const r = w.rings.get(id)!;
    out += `r${n}:${ring(r)}${tableRef(r.rs)}|`;
  }
  for (const [id, n] of tableNo) out += `t${n}:${table(w.tables.get(id)!)}|`;
  return out;
}
