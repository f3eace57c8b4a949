// The diagram layout with its edge routing (sim/report/layout.ts) against diagram
// size: doubling runs over synthetic state diagrams, one growing in breadth (more
// tasks, rings, tables and chains of a fixed depth) and one in depth (a longer filter
// chain, with short chains beside it whose arrows to DENY cross every column). Prints
// ns per layout and the growth per doubling (2.0 is linear).

import { cpus, loadavg } from 'node:os';
import { fmtNs, measure, type BenchSuite } from './harness.ts';
import type { Arrow, Box, Diagram } from '../report/graph.ts';
import { layoutDiagram } from '../report/layout.ts';

const box = (id: string, kind: Box['kind'], title: string, lines: string[]): Box => ({ id, kind, title, lines, marks: [] });
const arrow = (from: string, to: string, kind: Arrow['kind'], label = ''): Arrow => ({ id: `${from}>${to}`, from, to, kind, label, marks: [] });

/** `tasks` tasks in a fork tree, each holding a ring; a table per 4 tasks; two chains of `depth` nodes per table. */
export function syntheticDiagram(tasks: number, depth: number, short = 0): Diagram {
  const boxes: Box[] = [], arrows: Arrow[] = [];
  const nodes = new Set<string>();
  const tables = Math.max(1, tasks >> 2);
  for (let i = 0; i < tasks; i++) {
    boxes.push(box(`task:${i}`, 'task', `task t${i}`, [`pid ${i + 1}, uid 0`]));
    boxes.push(box(`ring:${i}`, 'ring', `ring t${i}:r`, [`R${i}`]));
    if (i > 0) arrows.push(arrow(`task:${(i - 1) >> 1}`, `task:${i}`, 'parent', 'fork'));
    arrows.push(arrow(`task:${i}`, `ring:${i}`, 'fd', `r (fd ${3 + i})`));
    arrows.push(arrow(`task:${i}`, `table:${i % tables}`, 'table', i % 3 ? '' : 'COW'));
    arrows.push(arrow(`ring:${i}`, `table:${(i * 7) % tables}`, 'table'));
  }
  for (let t = 0; t < tables; t++) {
    boxes.push(box(`table:${t}`, 'table', `table T${t}`, ['refs 2']));
    arrows.push(arrow(`table:${t}`, 'deny', 'chain', '60 opcodes'));
    for (const op of ['SOCKET', 'OPENAT']) {
      let prev = `table:${t}`;
      for (let k = 0; k < depth; k++) {
        // Chains share their tails between neighbouring tables, as inherited filters do.
        const id = `node:${op}:${k < depth - 1 ? t : t >> 1}:${k}`;
        if (!nodes.has(id)) { nodes.add(id); boxes.push(box(id, 'node', `allow_${op.toLowerCase()} #${k}`, ['refs 1, 4 insns'])); }
        arrows.push(arrow(prev, id, 'chain', prev.startsWith('table') ? op : ''));
        prev = id;
      }
      arrows.push(arrow(prev, 'deny', 'chain'));
    }
  }
  for (let s = 0; s < short; s++) {
    boxes.push(box(`node:short:${s}`, 'node', `short #${s}`, ['refs 1, 2 insns']));
    arrows.push(arrow(`table:${s % tables}`, `node:short:${s}`, 'chain', 'NOP'));
    arrows.push(arrow(`node:short:${s}`, 'deny', 'chain'));
  }
  boxes.push(box('deny', 'deny', 'DENY', []));
  const ids = new Set<string>();
  return { boxes, arrows: arrows.filter((a) => (ids.has(a.id) ? false : (ids.add(a.id), true))) };
}

export const suite: BenchSuite = {
  name: 'layout',
  run(b) {
    b.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    b.line('  (growth: time ratio to the previous size; 2.0 per doubling is linear)');
    const series = (title: string, sizes: number[], make: (n: number) => Diagram) => {
      let last = 0, lastCpu = 0;
      for (const n of sizes) {
        const d = make(n);
        const m = measure(`${title} ${n}: ${d.boxes.length} boxes, ${d.arrows.length} arrows`, (k) => {
          let s = 0;
          for (let i = 0; i < k; i++) s += layoutDiagram(d).routes.size;
          return s;
        }, { runs: 5, targetMs: 100 });
        // CPU time as well (user + system, the least of 3 batches): on a shared machine the
        // wall time counts the waits for a core too.
        let cpu = Infinity;
        for (let r = 0; r < 3; r++) {
          const c0 = process.cpuUsage();
          for (let i = 0; i < m.opsPerRun; i++) layoutDiagram(d);
          const c = process.cpuUsage(c0);
          cpu = Math.min(cpu, ((c.user + c.system) * 1000) / m.opsPerRun);
        }
        b.record(m, `min ${fmtNs(m.runs[0])}, CPU ${fmtNs(cpu)}${last ? `; growth ${(m.nsPerOp / last).toFixed(2)} (median), ${(cpu / lastCpu).toFixed(2)} (CPU)` : ''}`);
        last = m.nsPerOp;
        lastCpu = cpu;
      }
    };
    series('breadth, tasks', [16, 32, 64, 128, 256, 512, 1024], (n) => syntheticDiagram(n, 3));
    series('depth, chain of', [8, 16, 32, 64, 128, 256], (n) => syntheticDiagram(4, n, 8));
  },
};
