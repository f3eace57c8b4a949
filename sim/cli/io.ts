// What a command may touch of the outside world. Commands write through this so
// tests can run them in memory and read what they printed.

import { readFileSync } from 'node:fs';
import { rfError, type Result } from '../../model/errors.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): Result<string>;
  readBinary(path: string): Result<Uint8Array>;
  /** Whether stdout is a terminal (colour). */
  isTty: boolean;
  /** Whether stderr is a terminal: live progress is drawn there only then. */
  errIsTty?: boolean;
  /** Write to stderr as is (no newline added), for a progress line redrawn in place. */
  errRaw?(text: string): void;
  /** Set for a command run with --json: errors are printed as JSON objects (command.ts reportError). */
  jsonErrors?: boolean;
}

function describe(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return String((e as Error).message ?? e);
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  readFile(path) {
    try {
      return { ok: true, value: readFileSync(path === '-' ? 0 : path, 'utf8') };
    } catch (e) {
      return { ok: false, error: rfError('io', `cannot read ${path}: ${describe(e)}`) };
    }
  },
  readBinary(path) {
    try {
      return { ok: true, value: new Uint8Array(readFileSync(path === '-' ? 0 : path)) };
    } catch (e) {
      return { ok: false, error: rfError('io', `cannot read ${path}: ${describe(e)}`) };
    }
  },
  isTty: Boolean(process.stdout.isTTY),
  errIsTty: Boolean(process.stderr.isTTY),
  errRaw: (t) => void process.stderr.write(t),
};

/** An Io that keeps everything in memory, for tests. */
export function memoryIo(files: Record<string, string | Uint8Array> = {}): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTty: false,
    errIsTty: false,
    errRaw(t: string) { io.stderr += t; },
    out(t: string) { io.stdout += t.endsWith('\n') ? t : t + '\n'; },
    err(t: string) { io.stderr += t.endsWith('\n') ? t : t + '\n'; },
    readFile(path: string): Result<string> {
      const f = files[path];
      if (f === undefined) return { ok: false, error: rfError('io', `cannot read ${path}: no such file`) };
      return { ok: true, value: typeof f === 'string' ? f : new TextDecoder().decode(f) };
    },
    readBinary(path: string): Result<Uint8Array> {
      const f = files[path];
      if (f === undefined) return { ok: false, error: rfError('io', `cannot read ${path}: no such file`) };
      return { ok: true, value: typeof f === 'string' ? new TextEncoder().encode(f) : f };
    },
  };
  return io;
}
