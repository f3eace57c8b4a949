// Reading and parsing trace files for the commands, and finding the bundled
// scenarios. Parse errors come back as values with the source they refer to.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rfError, type Result, type RfError, type SourceLoc } from '../../model/errors.ts';
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

/**
 * Whether text read as UTF-8 is not text at all: a NUL byte, or more than one in a
 * hundred characters a control character (tabs, newlines and CR excepted) or an
 * undecodable byte. Such a file is named as binary instead of having its bytes
 * echoed in an error; a stray Latin-1 letter in a comment is not enough.
 */
/** Where the first byte a text file does not hold is (1-based line and column), for a located error. */
export function firstBinaryByte(text: string, file: string): SourceLoc {
  let line = 1, col = 1;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127 || c === 0xfffd) break;
    if (c === 10) { line++; col = 1; } else col++;
  }
  return { file, line, col };
}

export function looksBinary(text: string): boolean {
  if (text.includes('\0')) return true;
  const sample = text.slice(0, 4096);
  let odd = 0;
  for (let k = 0; k < sample.length; k++) {
    const c = sample.charCodeAt(k);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127 || c === 0xfffd) odd++;
  }
  return odd * 100 > sample.length;
}

/**
 * Read and parse every file; files with errors are left out and reported. A binary
 * file, and a file that holds no trace, are errors too: nothing is silently empty.
 */
export function loadTraceFiles(io: TextSource, paths: readonly string[]): Loaded {
  const out: Loaded = { files: [], failures: [] };
  for (const p of paths) {
    const text = io.readFile(p);
    if (!text.ok) { out.failures.push({ file: p, errors: [text.error] }); continue; }
    if (looksBinary(text.value)) {
      out.failures.push({ file: p, errors: [rfError('io', `${p} is a binary file, not a trace`, firstBinaryByte(text.value, p), 'a text file of trace ... end blocks')] });
      continue;
    }
    const r = parseTraceFile(p, text.value);
    if (r.ok && r.value.traces.length === 0) {
      out.failures.push({ file: p, errors: [rfError('syntax', `${p} holds no trace`, undefined, 'at least one trace NAME ... end block')] });
    } else if (r.ok) out.files.push(r.value);
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

/** Every file under `dir` whose name `keep` accepts, recursively, in sorted order (paths joined onto `dir`). */
export function findFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try { names = readdirSync(d).sort(); } catch { return; }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) walk(p);
      else if (keep(n)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Every `*.trace` under `dir`, recursively, sorted, as paths relative to `base`. */
export function findTraceFiles(dir: string, base = process.cwd()): string[] {
  return findFiles(dir, (n) => n.endsWith('.trace')).map((p) => relative(base, p) || p);
}
