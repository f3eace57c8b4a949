// The oracle's pure parts: apt source parsing, locating the kernel in a bzImage, the
// in-memory cpio, lowering traces to the wire form, and the random trace generator.

import { describe, expect, it } from 'vitest';
import { pickDebianMirror, urisFromDeb822, urisFromOneLine } from '../../sim/oracle/kernels/mirror.ts';
import { bzImagePayload } from '../../sim/oracle/kernels/vmlinux.ts';
import { cpioNewc, guestInitramfs, S_IFCHR, S_IFDIR, S_IFREG } from '../../sim/oracle/initramfs.ts';
import { lowerTrace, wireHeader } from '../../sim/oracle/wire.ts';
import { randomTraceFile, rng } from '../../sim/oracle/random.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { getProfile } from '../../model/profile/profiles.ts';

describe('apt sources', () => {
  it('reads URIs from deb822 stanzas, skipping deb-src and disabled ones', () => {
    const text = [
      'Types: deb', 'URIs: http://mirror.example/debian', 'Suites: bookworm', '',
      'Types: deb-src', 'URIs: http://src.example/debian', '',
      'Types: deb', 'Enabled: no', 'URIs: http://off.example/debian', '',
      'Types: deb', 'URIs: http://mirror.example/debian-security', 'Suites: bookworm-security',
    ].join('\n');
    expect(urisFromDeb822(text)).toEqual(['http://mirror.example/debian', 'http://mirror.example/debian-security']);
  });
  it('reads one-line sources with options and comments', () => {
    const text = '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://a.example/debian bookworm main\ndeb-src http://b.example/debian bookworm main\n';
    expect(urisFromOneLine(text)).toEqual(['http://a.example/debian']);
  });
  it('picks the Debian archive, not security or third-party repositories', () => {
    expect(pickDebianMirror(['http://x.example/debian-security', 'https://y.example/apt', 'http://z.example/debian/'])).toBe('http://z.example/debian');
    expect(pickDebianMirror(['http://x.example/debian-security'])).toBeUndefined();
  });
});

describe('bzImage payload', () => {
  function fakeBzImage(payload: number[], setupSects: number, size: number): Uint8Array {
    const start = (setupSects + 1) * 512 + 100;
    const bz = new Uint8Array(start + payload.length + 4 + 16);
    const dv = new DataView(bz.buffer);
    bz[0x1f1] = setupSects;
    dv.setUint32(0x202, 0x53726448, true);
    dv.setUint32(0x248, 100, true);
    dv.setUint32(0x24c, payload.length + 4, true);
    bz.set(payload, start);
    dv.setUint32(start + payload.length, size, true);
    return bz;
  }
  it('finds the zstd frame through the setup header and reads the appended size', () => {
    const r = bzImagePayload(fakeBzImage([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3], 3, 12345));
    expect(r.ok && [...r.value.frame]).toEqual([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]);
    expect(r.ok && r.value.size).toBe(12345);
  });
  it('refuses a payload that is not zstd, and a file without a setup header', () => {
    expect(bzImagePayload(fakeBzImage([0x1f, 0x8b, 8, 0, 0, 0], 3, 1)).ok).toBe(false);
    expect(bzImagePayload(new Uint8Array(4096)).ok).toBe(false);
  });
});

/** A minimal newc reader, written from the format's description, to check the writer. */
function readCpio(b: Uint8Array): { path: string; mode: number; size: number; rdev: [number, number]; data: string }[] {
  const dec = new TextDecoder();
  const out = [];
  let off = 0;
  for (;;) {
    const h = dec.decode(b.subarray(off, off + 110));
    expect(h.slice(0, 6)).toBe('070701');
    const f = (k: number) => parseInt(h.slice(6 + 8 * k, 14 + 8 * k), 16);
    const namesize = f(11);
    const size = f(6);
    const name = dec.decode(b.subarray(off + 110, off + 110 + namesize - 1));
    let p = off + 110 + namesize;
    p += (4 - (p % 4)) % 4;
    const data = dec.decode(b.subarray(p, p + size));
    p += size;
    p += (4 - (p % 4)) % 4;
    if (name === 'TRAILER!!!') break;
    out.push({ path: name, mode: f(1), size, rdev: [f(9), f(10)] as [number, number], data });
    off = p;
  }
  return out;
}

describe('initramfs', () => {
  it('writes newc entries that read back with their modes, devices and data', () => {
    const a = cpioNewc([
      { path: 'd', mode: S_IFDIR | 0o755 },
      { path: 'd/f', mode: S_IFREG | 0o644, data: new TextEncoder().encode('hello') },
      { path: 'c', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    ]);
    expect(a.length % 4).toBe(0);
    expect(readCpio(a)).toEqual([
      { path: 'd', mode: S_IFDIR | 0o755, size: 0, rdev: [0, 0], data: '' },
      { path: 'd/f', mode: S_IFREG | 0o644, size: 5, rdev: [0, 0], data: 'hello' },
      { path: 'c', mode: S_IFCHR | 0o600, size: 0, rdev: [5, 1], data: '' },
    ]);
  });
  it('holds the trace world of trace-format.md, the guest as /init and the traces', () => {
    const entries = readCpio(guestInitramfs(new Uint8Array([0x7f, 0x45]), 'W 1\n'));
    const by = new Map(entries.map((e) => [e.path, e]));
    expect(by.get('tmp')!.mode).toBe(S_IFDIR | 0o1777);
    expect(by.get('dev/null')).toMatchObject({ mode: S_IFCHR | 0o666, rdev: [1, 3] });
    expect(by.get('dev/console')).toMatchObject({ mode: S_IFCHR | 0o600, rdev: [5, 1] });
    expect(by.get('proc')!.mode & S_IFDIR).toBe(S_IFDIR);
    expect(by.get('init')!.mode).toBe(S_IFREG | 0o755);
    expect(by.get('traces.wire')!.data).toBe('W 1\n');
    expect([...by.keys()].sort()).toEqual(['.', 'dev', 'dev/console', 'dev/null', 'init', 'proc', 'tmp', 'traces.wire']);
  });
});

function parseOne(text: string) {
  const p = parseTraceFile('t.trace', text);
  if (!p.ok) throw new Error(p.error.map((e) => e.message).join('; '));
  return p.value.traces[0];
}

describe('wire lowering', () => {
  it('lowers every command with its defaults made explicit', () => {
    const t = parseOne(`trace w
  program p
    0x20:0:0:16
    0x06:0:0:1
  end
  ring r flags=R_DISABLED|SUBMIT_ALL
  restrict r sqe_op:NOP register_op:ENABLE_RINGS
  restrict task
  enable r
  register r PROBE
  bpf task op=SOCKET flags=DENY_REST p
  bpf r op=NOP pdu=3 cmd_type=2 ptr=null deny
  sqe r op=NOP ud=7 flags=IO_LINK
  sqe r op=OPENAT path=/tmp/x oflags=O_CREAT|O_WRONLY mode=0o600
  submit r
  cqes r
  fork c
  @c nnp
  @c setuid 65534
  @c exit
  close r
end
`);
    const w = lowerTrace(t, getProfile('7.3')).split('\n');
    expect(w[0]).toBe('T w');
    expect(w[1]).toBe('0 init ring r 8 192');
    expect(w[2]).toBe('1 init restrict r 2 1:0 0:12');
    expect(w[3]).toBe('2 init restrict - 0');
    expect(w[4]).toBe('3 init enable r');
    expect(w[5]).toBe('4 init register r 8');
    // pdu omitted: the kernel's SOCKET payload size (12); raw fields at their defaults.
    expect(w[6]).toBe('5 init bpf - 45 1 12 1 0 0 0 -1 1 0 0 2 32:0:0:16 6:0:0:1');
    expect(w[7]).toBe('6 init bpf r 0 0 3 2 0 0 0 -1 1 1 0 1 6:0:0:0');
    expect(w[8]).toBe('7 init sqe r 0 4 7 0 0 0 0 0 0 0 0 0 0');
    expect(w[9]).toMatch(/^8 init sqe r 18 0 1 0 -100 0 \d+ 384 65 0 0 0 0 path=2f746d702f78$/);
    expect(w.slice(10)).toEqual(['9 init submit r', '10 init cqes r', '11 init fork c', '12 c nnp', '13 c setuid 65534', '14 c exit', '15 init close r', 'E', '']);
  });
  it('takes the pdu default from the profile: CONNECT has a payload from 7.2 on', () => {
    const t = parseOne('trace c\n  bpf task op=CONNECT allow\nend\n');
    expect(lowerTrace(t, getProfile('7.0')).split('\n')[1].split(' ')[6]).toBe('0');
    expect(lowerTrace(t, getProfile('7.2')).split('\n')[1].split(' ')[6]).toBe('24');
  });
  it('carries OPENAT2 open_how and CONNECT sockaddr bytes', () => {
    const t = parseOne(`trace h
  ring r
  sqe r op=OPENAT2 path=/dev/null oflags=O_RDONLY resolve=RESOLVE_IN_ROOT
  sqe r op=CONNECT fd=3 family=AF_INET addr4=127.0.0.1 port=80
end
`);
    const w = lowerTrace(t, getProfile('7.3')).split('\n');
    expect(w[2]).toMatch(/ path=2f6465762f6e756c6c how=0:0:16$/);
    expect(w[3]).toMatch(/ sa=020000507f000001(00)*$/);
  });
  it('starts with the versioned header', () => {
    expect(wireHeader({ cmdMs: 100, traceMs: 200 })).toBe('W 1 cmd_ms=100 trace_ms=200\n');
  });
});

describe('random traces', () => {
  it('are the same for the same seed and differ for another', () => {
    expect(randomTraceFile(20, 7).source).toBe(randomTraceFile(20, 7).source);
    expect(randomTraceFile(20, 8).source).not.toBe(randomTraceFile(20, 7).source);
  });
  it('parsed in chunks are the traces of the whole text parsed at once', () => {
    const chunked = randomTraceFile(120, 5, '', 17);
    const whole = parseTraceFile(chunked.file, chunked.source);
    expect(whole.ok).toBe(true);
    if (whole.ok) expect(chunked.traces).toEqual(whole.value.traces);
    expect(chunked.traces[119].loc.line).toBeGreaterThan(1000);
  });
  it('parse, and use forks, filters, restrictions, links and exits', () => {
    const f = randomTraceFile(150, 3);
    expect(f.traces.length).toBe(150);
    const cs = f.traces.flatMap((t) => t.commands);
    const kinds = new Set(cs.map((c) => c.c));
    for (const k of ['ring', 'bpf', 'restrict', 'enable', 'sqe', 'submit', 'cqes', 'fork', 'exit', 'nnp', 'setuid']) expect(kinds).toContain(k);
    expect(cs.some((c) => c.c === 'sqe' && (c.sqe.flags & 0x04) !== 0)).toBe(true);
    expect(cs.some((c) => c.c === 'bpf' && c.target.kind === 'task')).toBe(true);
    expect(cs.some((c) => c.c === 'bpf' && c.target.kind === 'ring')).toBe(true);
    const ops = new Set(cs.flatMap((c) => (c.c === 'sqe' ? [c.sqe.opcode] : [])));
    for (const op of [0, 16, 18, 28, 45]) expect(ops).toContain(op); // NOP CONNECT OPENAT OPENAT2 SOCKET
  });
  it('never end a submitted batch inside a link chain, and put OPENAT and ASYNC alone on a new ring', () => {
    let alone = 0;
    for (const t of randomTraceFile(150, 11).traces) {
      let batch: { op: number; flags: number }[] = [];
      t.commands.forEach((c, k) => {
        if (c.c === 'sqe') {
          batch.push({ op: c.sqe.opcode, flags: c.sqe.flags });
          if (c.sqe.opcode === 18 || c.sqe.opcode === 28 || (c.sqe.flags & 0x10) !== 0) {
            alone++;
            const prev = t.commands[k - 1];
            expect(prev.c === 'ring' && prev.ring === c.ring && prev.task === c.task, `${t.name} #${c.i}`).toBe(true);
          }
        }
        if (c.c === 'submit') {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch[batch.length - 1].flags & 0x0c).toBe(0);
          if (batch.some((s) => s.op === 18 || s.op === 28 || (s.flags & 0x10) !== 0)) expect(batch.length).toBe(1);
          batch = [];
        }
      });
    }
    expect(alone).toBeGreaterThan(20);
  });
  it('rng is uniform enough to reach every bucket', () => {
    const r = rng(42);
    const buckets = new Array(10).fill(0);
    for (let k = 0; k < 10000; k++) buckets[Math.floor(r() * 10)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(800);
  });
});

describe('default guest count', () => {
  it('boots one guest per CPU, but not one per fewer than 100 traces', async () => {
    const { defaultJobs, TRACES_PER_GUEST } = await import('../../sim/oracle/run.ts');
    for (const cpus of [1, 2, 4, 8]) {
      for (const n of [0, 1, 99, 100, 199, 250, 399, 400, 1000, 10_000]) {
        const j = defaultJobs(n, cpus);
        // Stated independently: the largest j in 1..cpus with j*100 <= n, else 1.
        let want = 1;
        for (let k = 1; k <= cpus; k++) if (k * TRACES_PER_GUEST <= n) want = k;
        expect(j, `${n} traces, ${cpus} cpus`).toBe(want);
      }
    }
  });
});
