// The compatibility matrix in the page: the same pure function as `ringfence
// matrix` and docs/compatibility.md, over the scenarios and recordings bundled in.

import { CELL_TEXT, compatibilityMatrix } from '../report/matrix.ts';
import type { ProfileName } from '../../model/profile/profiles.ts';
import { SCENARIOS } from './scenarios.ts';
import { RECORDINGS } from './recordings.ts';

export function renderMatrix(root: HTMLElement, open: (file: string, trace: string, profile: ProfileName) => void): void {
  const m = compatibilityMatrix(SCENARIOS, RECORDINGS);
  const h = document.createElement('h2');
  h.textContent = `Compatibility matrix: ${m.behaviours.length} behaviours × ${m.profiles.length} recorded kernels`;
  const p = document.createElement('p');
  p.textContent = `${CELL_TEXT.holds} the recorded kernel meets the trace's expectations · ${CELL_TEXT.differs} it differs · ${CELL_TEXT['not-meant']} not meant for that kernel (a twin trace covers it) · ${CELL_TEXT.unrecorded} not recorded. Click a cell to open the trace under that kernel.`;
  const table = document.createElement('table');
  table.className = 'matrix';
  const head = table.createTHead().insertRow();
  for (const c of ['scenario', 'behaviour', ...m.profiles]) {
    const th = document.createElement('th');
    th.textContent = c;
    head.append(th);
  }
  const body = table.createTBody();
  for (const b of m.behaviours) {
    const row = body.insertRow();
    row.insertCell().textContent = b.file;
    const about = row.insertCell();
    const name = document.createElement('code');
    name.textContent = b.trace;
    about.append(name, document.createTextNode(b.about ? ' ' + b.about : ''));
    for (const prof of m.profiles) {
      const cell = row.insertCell();
      const c = b.cells[prof];
      cell.textContent = CELL_TEXT[c.status];
      cell.className = `cell ${c.status}`;
      if (c.detail) cell.title = c.detail;
      if (c.status === 'holds' || c.status === 'differs') cell.addEventListener('click', () => open(b.file, b.trace, prof));
    }
  }
  root.replaceChildren(h, p, table);
}
