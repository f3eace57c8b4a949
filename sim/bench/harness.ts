// A small benchmark harness: time a function over many iterations, several runs,
// and report the median. Benchmarks print figures; nothing here asserts a speed.

export interface Measurement {
  name: string;
  /** Median nanoseconds per operation over the runs. */
  nsPerOp: number;
  /** Every run's ns per operation, sorted. */
  runs: number[];
  opsPerRun: number;
}

/**
 * Run `body(n)` (which must perform n operations) until a run lasts ~`targetMs`,
 * then take `runs` timed runs and return the median ns per operation. `body`
 * returns a value that is accumulated so the work cannot be optimised away.
 */
export function measure(name: string, body: (n: number) => unknown, opts: { runs?: number; targetMs?: number } = {}): Measurement {
  const runs = opts.runs ?? 7;
  const targetMs = opts.targetMs ?? 150;
  let sink: unknown = 0;
  // Warm up and calibrate the iteration count.
  let n = 64;
  for (;;) {
    const t0 = process.hrtime.bigint();
    sink = body(n);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= targetMs / 4 || n >= 1 << 30) {
      n = Math.max(1, Math.round((n * targetMs) / Math.max(ms, 0.001)));
      break;
    }
    n *= 4;
  }
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    sink = body(n);
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  (globalThis as { __benchSink?: unknown }).__benchSink = sink;
  return { name, nsPerOp: samples[samples.length >> 1], runs: samples, opsPerRun: n };
}

export interface BenchContext {
  /** Print one line of the report. */
  line(text: string): void;
  /** Record a measurement (for --json) and print it. */
  record(m: Measurement, note?: string): void;
  /** Record a free-form figure (bytes per task, SQEs/s, ...). */
  figure(name: string, value: number, unit: string, note?: string): void;
}

export interface BenchSuite {
  name: string;
  /** Run only when named exactly by `--only` (long or memory-hungry suites). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<void> | void;
}

export function fmtNs(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}
