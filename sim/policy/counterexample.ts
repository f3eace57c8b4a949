// A proof counterexample (context field values) as a request a trace can submit.

import { OP } from '../../model/abi/opcodes.ts';
import { O } from '../../model/abi/net.ts';
import type { Counterexample } from '../../model/policy/prove.ts';
import type { Probe } from './probes.ts';

const num = (f: Record<string, string>, n: string) => Number(BigInt(f[n] ?? '0'));
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

export function counterexampleProbe(x: Counterexample): Probe | undefined {
  const f = x.fields ?? {};
  const why = `counterexample: the intent ${x.intent ? 'allows' : 'denies'} this request, the emitted filters ${x.emitted ? 'allow' : 'deny'} it`;
  switch (x.opcode) {
    case OP.SOCKET: {
      const fam = num(f, 'socket.family');
      return { opcode: x.opcode, fields: `domain=${fam > 0x7fffffff ? fam - 2 ** 32 : fam} type=${hex(num(f, 'socket.type'))} protocol=${num(f, 'socket.protocol')}`, why };
    }
    case OP.OPENAT: {
      // The kernel adds O_LARGEFILE itself; the request leaves it out.
      const flags = num(f, 'open.flags') & ~O.O_LARGEFILE;
      return { opcode: x.opcode, fields: `dfd=999 path=x oflags=${hex(flags)} mode=${hex(num(f, 'open.mode'))}`, why };
    }
    case OP.OPENAT2:
      if (BigInt(f['open.flags'] ?? '0') >> 32n || BigInt(f['open.mode'] ?? '0') >> 32n || BigInt(f['open.resolve'] ?? '0') >> 32n) return undefined;
      return { opcode: x.opcode, fields: `dfd=999 path=x oflags=${hex(num(f, 'open.flags'))} mode=${hex(num(f, 'open.mode'))} resolve=${hex(num(f, 'open.resolve'))}`, why };
    case OP.CONNECT: {
      const a = num(f, 'connect.v4_addr');
      return { opcode: x.opcode, fields: `fd=999 family=${num(f, 'connect.family')} port=${num(f, 'connect.port')} addr4=${[a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')}`, why };
    }
  }
  return { opcode: x.opcode, fields: '', why };
}
