// Reading and parsing trace files for the commands, and finding the bundled
// scenarios. Parse errors come back as values with the source they refer to.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Result, RfError } from '../../model/errors.ts';
import type { TraceFile } from './ast.ts';
import { parseTraceFile } from './parse.ts';

export interface LoadFailure {
  file: string;
  /** The text the errors point into (absent when the file could not be read). */
  source?: string;
  errors: RfError[];
}

/** Where trace text comes from (the CLI's Io is one; tests can pass their own). */
export interface TextSource {
  readFile(path: string): Result<string>;
}

export interface Loaded {
  files: TraceFile[];
  failures: LoadFailure[];
}

/** Read and parse every file; files with errors are left out and reported. */
export function loadTraceFiles(io: TextSource, paths: readonly string[]): Loaded {
  const out: Loaded = { files: [], failures: [] };
  for (const p of paths) {
    const text = io.readFile(p);
    if (!text.ok) { out.failures.push({ file: p, errors: [text.error] }); continue; }
    const r = parseTraceFile(p, text.value);
    if (r.ok) out.files.push(r.value);
    else out.failures.push({ file: p, source: text.value, errors: r.error });
  }
  return out;
}

/** Command-line paths with every directory replaced by the `*.trace` files under it. */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let dir = false;
    try { dir = statSync(p).isDirectory(); } catch { /* reported when read */ }
    if (dir) out.push(...findTraceFiles(p, process.cwd()));
    else out.push(p);
  }
  return out;
}

/** Every `*.trace` under `dir`, recursively, sorted, as paths relative to `base`. */
export function findTraceFiles(dir: string, base = process.cwd()): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try { names = readdirSync(d).sort(); } catch { return; }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) walk(p);
      else if (n.endsWith('.trace')) out.push(relative(base, p) || p);
    }
  };
  walk(dir);
  return out;
}
