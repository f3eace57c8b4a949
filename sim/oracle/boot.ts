// Boot a kernel in qemu with the guest program as /init and collect its records.
//
// -M q35 (microvm hangs under TCG about half the time), PVH boot of the ELF vmlinux,
// the initramfs built in memory, the kernel log on the serial port (kept for error
// reports) and the records on a virtio console that qemu writes to its stdout. qemu's
// stdin is closed: with a stdio chardev and a non-interactive stdin it can hang.
// A run that ends without the guest's summary line is a failed run.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rfError, type Result } from '../../model/errors.ts';
import { boundCommand } from './child.ts';
import { guestInitramfs } from './initramfs.ts';

export type Accel = 'kvm' | 'tcg';

/**
 * KVM only when it is hardware virtualisation: /dev/kvm usable, vmx or svm in the CPU
 * flags, and not PVM (whose /dev/kvm cannot run a stock kernel). RINGFENCE_ACCEL=tcg|kvm
 * overrides the guess.
 */
export function detectAccel(env = process.env): Accel {
  if (env.RINGFENCE_ACCEL === 'tcg' || env.RINGFENCE_ACCEL === 'kvm') return env.RINGFENCE_ACCEL;
  try {
    if (!existsSync('/dev/kvm')) return 'tcg';
    const cpu = readFileSync('/proc/cpuinfo', 'utf8');
    if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpu)) return 'tcg';
    const modules = existsSync('/proc/modules') ? readFileSync('/proc/modules', 'utf8') : '';
    if (/^kvm_pvm\b/m.test(modules)) return 'tcg';
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

export function qemuPath(): Result<string> {
  const r = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return { ok: true, value: r.stdout.trim() };
  return {
    ok: false,
    error: rfError('io', 'qemu-system-x86_64 is not installed', undefined, "Debian's qemu (apt-get install --no-install-recommends qemu-system-x86), or run .ci/oracle which installs it"),
  };
}

export interface BootOptions {
  vmlinux: string;
  /** The static guest binary. */
  guest: Uint8Array;
  /** The whole wire text (header and traces). */
  wire: string;
  /** Whole-boot timeout. */
  timeoutMs: number;
  accel?: Accel;
  memMb?: number;
  /**
   * The guest's BPF JIT (net.core.bpf_jit_enable). Debian enables it; off, the kernel runs
   * the same converted eBPF in its interpreter, and each filter registration is about 1 ms
   * cheaper under TCG. Results are the same either way.
   */
  bpfJit?: boolean;
}

/** One parsed `@@ ` line from the guest. */
export type GuestLine = Record<string, unknown>;

export interface BootResult {
  lines: GuestLine[];
  hello?: GuestLine;
  summary?: { traces: number; ok: number; failed: number; us: number };
  /** Wall time of the whole boot, ms. */
  ms: number;
  accel: Accel;
}

export function parseGuestOutput(text: string): GuestLine[] {
  const out: GuestLine[] = [];
  for (const raw of text.split('\n')) {
    const at = raw.indexOf('@@ ');
    if (at < 0) continue;
    try {
      out.push(JSON.parse(raw.slice(at + 3).replace(/\r$/, '')) as GuestLine);
    } catch {
      /* a line broken by noise on the channel: the comparison will show what is missing */
    }
  }
  return out;
}

/**
 * Boot and return every record line; an error when the guest did not finish. A boot
 * that dies before the guest's hello (the kernel itself failed to come up) is retried
 * twice, under TCG: that is the machine, not the traces.
 */
export async function bootGuest(o: BootOptions): Promise<Result<BootResult>> {
  const accel = o.accel ?? detectAccel();
  let r = await bootOnce({ ...o, accel });
  // KVM that cannot run the guest (a nested or paravirtual one) falls back to TCG.
  if (!r.ok && r.beforeHello && accel === 'kvm') r = await bootOnce({ ...o, accel: 'tcg' });
  for (let k = 1; k <= 2 && !r.ok && r.beforeHello; k++) r = await bootOnce({ ...o, accel: 'tcg' });
  return r;
}

/**
 * Under TCG the guest's clock counts instructions (one per ns) and skips ahead whenever
 * the guest is idle, so a guest never waits in real time: a quiet period or a timed wait
 * for a CQE costs no wall time, and qemu is not woken for every guest timer. Measured on
 * 10,000 random traces: 23% less wall time and 15% less CPU (docs/oracle.md). Only the
 * clock changes: the clock skips only when no guest task can run, so an io-wq worker
 * that still has work runs (and posts its CQE) before a wait for it can time out.
 */
export const TCG_CLOCK = ['-icount', 'shift=0,sleep=off'];

function bootOnce(o: BootOptions): Promise<Result<BootResult> & { beforeHello?: boolean }> {
  const qemu = qemuPath();
  if (!qemu.ok) return Promise.resolve(qemu);
  const accel = o.accel ?? detectAccel();
  const dir = mkdtempSync(join(tmpdir(), 'ringfence-boot-'));
  const initrd = join(dir, 'initrd.cpio');
  const serial = join(dir, 'serial.log');
  writeFileSync(initrd, guestInitramfs(o.guest, o.wire));
  const args = [
    '-M', 'q35', '-accel', accel, ...(accel === 'kvm' ? ['-cpu', 'host'] : TCG_CLOCK),
    '-m', `${o.memMb ?? 256}M`, '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', o.vmlinux, '-initrd', initrd,
    // no_timer_check: under a loaded TCG host the IO-APIC timer check can fail and panic.
    '-append', 'console=ttyS0 panic=-1 quiet no_timer_check' + (o.bpfJit === false ? ' sysctl.net.core.bpf_jit_enable=0' : ''),
    '-serial', `file:${serial}`,
    '-device', 'virtio-serial-pci', '-chardev', 'stdio,id=res', '-device', 'virtconsole,chardev=res',
  ];
  const t0 = performance.now();
  return new Promise((resolve) => {
    // Bound to this process: a worker killed outright takes its guest with it.
    const bound = boundCommand(qemu.value, args);
    const p = spawn(bound.cmd, bound.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    p.stdout.on('data', (b: Buffer) => chunks.push(b));
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, o.timeoutMs);
    let finished = false;
    const finish = (code: number | null, error?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const lines = parseGuestOutput(Buffer.concat(chunks).toString('utf8'));
      const log = existsSync(serial) ? readFileSync(serial, 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      const hello = lines.find((l) => 'hello' in l);
      const summaryLine = lines.find((l) => 'summary' in l);
      const fatal = lines.find((l) => 'fatal' in l);
      if (!summaryLine) {
        const why = error
          ? `cannot run qemu: ${error.message}`
          : timedOut
            ? `the guest did not finish within ${o.timeoutMs} ms`
            : fatal
              ? `the guest failed: ${String(fatal.fatal)}`
              : `qemu exited (${code}) before the guest's summary`;
        const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n');
        resolve({
          ok: false,
          beforeHello: !hello && !error,
          error: rfError('io', `oracle boot of ${o.vmlinux} failed: ${why}${stderr.trim() ? `\nqemu: ${tail(stderr)}` : ''}${log.trim() ? `\nkernel log (last lines):\n${tail(log)}` : ''}`),
        });
        return;
      }
      resolve({
        ok: true,
        value: { lines, hello, summary: summaryLine.summary as BootResult['summary'], ms, accel },
      });
    };
    p.on('error', (e) => finish(null, e));
    p.on('close', (code) => finish(code));
  });
}
