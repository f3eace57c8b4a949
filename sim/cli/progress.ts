// Live progress on standard error: one line redrawn in place, at most every
// THROTTLE_MS, only when standard error is a terminal and the output is not JSON.
// Long commands (explore, fuzz, oracle) report through it; nothing else does.

import type { Io } from './io.ts';

export const THROTTLE_MS = 100;

export interface Progress {
  /** Show this text (throttled; `force` draws it now). */
  update(text: string, force?: boolean): void;
  /** Clear the line, before the results are printed. */
  done(): void;
  readonly enabled: boolean;
}

const OFF: Progress = { update() {}, done() {}, enabled: false };

export function progress(io: Io, json: boolean, now: () => number = () => performance.now()): Progress {
  if (!io.errIsTty || !io.errRaw || json) return OFF;
  const raw = io.errRaw.bind(io);
  const width = Math.max(20, (process.stderr.columns || 100) - 1);
  let last = -Infinity;
  let shown = 0;
  return {
    enabled: true,
    update(text, force = false) {
      const t = now();
      if (!force && t - last < THROTTLE_MS) return;
      last = t;
      const line = text.length > width ? text.slice(0, width - 1) + '…' : text;
      // \r, the text, and erase to the end of the line (a shorter text leaves nothing behind)
      raw(`\r${line}\x1b[K`);
      shown = line.length;
    },
    done() {
      if (shown) raw('\r\x1b[K');
      shown = 0;
    },
  };
}
