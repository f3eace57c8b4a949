// The policy view: what the selected holder (a task, or a ring a task holds) may
// still do after the selected step, per opcode: allowed, denied, or on which
// conditions (sim/explore/policy/, the same analysis as `ringfence policy`).

import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { Trace } from '../trace/ast.ts';
import { holderAt } from '../explore/policy/holder.ts';
import { holderPolicy, type OpcodePolicy } from '../explore/policy/policy.ts';
import type { Stepped } from '../report/steps.ts';

let holder = 'init';

export function renderPolicy(root: HTMLElement, trace: Trace, profile: KernelProfile, s: Stepped, step: number): void {
  const names = s.steps[step]?.names;
  const options: string[] = [];
  for (const [task, t] of names ?? []) {
    options.push(task);
    for (const r of t.rings.keys()) options.push(`${task}:${r}`);
  }
  if (!options.includes(holder)) holder = 'init';
  const sel = document.createElement('select');
  sel.id = 'policy-holder';
  for (const o of options) sel.append(new Option(o.includes(':') ? `ring ${o}` : `task ${o}`, o));
  sel.value = holder;
  sel.addEventListener('change', () => { holder = sel.value; renderPolicy(root, trace, profile, s, step); });
  const [task, ring] = holder.split(':');
  const out = document.createElement('div');
  const h = holderAt(trace, profile, ring === undefined ? { task } : { task, ring }, step);
  if (!h.ok) {
    out.className = 'error-inline';
    out.textContent = h.error.message;
  } else {
    const ops = holderPolicy(profile, h.value.policy);
    const head = document.createElement('p');
    head.textContent = `${h.value.description} under ${profile.name}`;
    out.append(head);
    for (const n of h.value.notes) out.append(Object.assign(document.createElement('p'), { className: 'hint', textContent: `note: ${n}` }));
    const group = (v: OpcodePolicy['verdict'], title: string) => {
      const list = ops.filter((o) => o.verdict === v);
      const d = document.createElement('details');
      d.open = v === 'conditional' || list.length <= 12;
      d.append(Object.assign(document.createElement('summary'), { textContent: `${title} (${list.length})` }));
      const ul = document.createElement('ul');
      for (const o of list) {
        const li = document.createElement('li');
        li.className = `policy ${v}`;
        li.textContent = v === 'conditional' ? `${o.name}: allowed iff ${o.condition}${o.approximate ? ' (approximate)' : ''}` : `${o.name}: ${o.reason}`;
        ul.append(li);
      }
      d.append(ul);
      out.append(d);
    };
    group('conditional', 'allowed on conditions');
    group('deny', 'denied');
    group('allow', 'allowed');
  }
  root.replaceChildren(Object.assign(document.createElement('label'), { textContent: 'holder ' }), sel, out);
  (root.firstChild as HTMLElement).append(sel);
}
