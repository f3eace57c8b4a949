// The ABI numbers that everything else rests on, checked against the values the
// kernel headers give (kernel-semantics.md §1 and §10).
import { describe, expect, it } from 'vitest';
import {
  OP, IORING_OP_LAST, REG, IORING_REGISTER_LAST, SQE_FLAGS, SQE_VALID_FLAGS, SETUP_FLAGS,
  IORING_RESTRICTION_LAST, CTX_V7, CTX_V5, fieldsInWord, lookupSymbol, ERRNO, errnoName, formatRet, O,
  VALID_OPEN_FLAGS,
} from '../../model/abi/index.ts';
import { PROFILES, PROFILE_NAMES, pduSizeFor } from '../../model/profile/profiles.ts';
import { EXCERPT_WIDTH, formatError } from '../../model/errors.ts';

describe('opcode and register numbers', () => {
  it.each([
    ['NOP', 0], ['READV', 1], ['CONNECT', 16], ['OPENAT', 18], ['CLOSE', 19], ['READ', 22], ['OPENAT2', 28],
    ['SOCKET', 45], ['URING_CMD', 46], ['BIND', 56], ['PIPE', 62], ['NOP128', 63], ['URING_CMD128', 64],
  ] as const)('IORING_OP_%s = %i', (name, n) => expect(OP[name]).toBe(n));

  it('IORING_OP_LAST is 65 and the max restriction count is 107', () => {
    expect(IORING_OP_LAST).toBe(65);
    expect(IORING_REGISTER_LAST).toBe(38);
    expect(IORING_RESTRICTION_LAST + IORING_REGISTER_LAST + IORING_OP_LAST).toBe(107);
  });

  it.each([
    ['BUFFERS', 0], ['PROBE', 8], ['RESTRICTIONS', 11], ['ENABLE_RINGS', 12], ['SEND_MSG_RING', 31],
    ['QUERY', 35], ['BPF_FILTER', 37],
  ] as const)('IORING_REGISTER_%s = %i', (name, n) => expect(REG[name]).toBe(n));
});

describe('flags', () => {
  it('SQE_VALID_FLAGS is every IOSQE bit, bit 7 excluded', () => {
    expect(Object.values(SQE_FLAGS).reduce((a, b) => a | b, 0)).toBe(SQE_VALID_FLAGS);
    expect(SQE_VALID_FLAGS & 0x80).toBe(0);
  });
  it('R_DISABLED and SUBMIT_ALL', () => {
    expect(SETUP_FLAGS.R_DISABLED).toBe(64);
    expect(SETUP_FLAGS.SUBMIT_ALL).toBe(128);
  });
  it('open flags are the x86-64 octal values', () => {
    expect(O.O_CREAT).toBe(0o100);
    expect(O.O_TRUNC).toBe(0o1000);
    expect(O.O_LARGEFILE).toBe(0o100000);
    expect(O.O_CLOEXEC).toBe(0o2000000);
    expect(O.O_PATH).toBe(0o10000000);
    expect(O.__O_TMPFILE).toBe(0o20000000);
    expect(VALID_OPEN_FLAGS & O.O_TMPFILE).toBe(O.O_TMPFILE);
  });
});

describe('filter context layouts', () => {
  it('v7 is 40 bytes with the payload union at 16', () => {
    expect(CTX_V7.size).toBe(40);
    for (const f of CTX_V7.fields) expect(f.offset + f.size).toBeLessThanOrEqual(40);
    expect(fieldsInWord(CTX_V7, 8).map((f) => f.name)).toEqual(['opcode', 'sqe_flags', 'pdu_size', 'pad']);
    expect(fieldsInWord(CTX_V7, 20).map((f) => f.name)).toContain('socket.type');
  });
  it('v5 is 64 bytes with opcode first', () => {
    expect(CTX_V5.size).toBe(64);
    expect(CTX_V5.fields.find((f) => f.name === 'opcode')?.offset).toBe(0);
    expect(CTX_V5.fields.find((f) => f.name === 'user_data')?.offset).toBe(8);
  });
});

describe('symbols', () => {
  it.each([
    ['NOP', ['opcode'], 0], ['IORING_OP_SOCKET', ['opcode'], 45], ['BPF_FILTER', ['register_op'], 37],
    ['IORING_REGISTER_PROBE', ['register_op'], 8], ['IOSQE_IO_LINK', ['sqe_flag'], 4], ['LINK', ['sqe_flag'], 4],
    ['HARDLINK', ['sqe_flag'], 8], ['DRAIN', ['sqe_flag'], 2], ['DENY_REST', ['filter_flag'], 1],
    ['EACCES', ['errno'], 13], ['ENOTSUP', ['errno'], 95], ['AF_INET6', ['af'], 10], ['RESOLVE_IN_ROOT', ['resolve'], 0x10],
  ] as const)('%s resolves in %j to %i', (name, kinds, v) => expect(lookupSymbol(name, kinds)).toBe(v));

  it('a name of another kind does not resolve', () => {
    expect(lookupSymbol('NOP', ['register_op'])).toBeUndefined();
    expect(lookupSymbol('AF_INET', ['opcode', 'errno'])).toBeUndefined();
  });

  it('errno names round-trip', () => {
    for (const [name, n] of Object.entries(ERRNO)) expect(errnoName(n)).toBe(name);
    expect(formatRet(-13)).toBe('-EACCES');
    expect(formatRet(3)).toBe('3');
  });
});

describe('profiles', () => {
  it('differ exactly where the version table says', () => {
    expect(PROFILE_NAMES.sort()).toEqual(['6.18', '7.0', '7.1', '7.2', '7.3', 'v5']);
    expect(PROFILES['7.2'].cloneMarksSourceCow).toBe(false);
    expect(PROFILES['7.3'].cloneMarksSourceCow).toBe(true);
    expect(pduSizeFor(PROFILES['7.1'], OP.CONNECT)).toBe(0);
    expect(pduSizeFor(PROFILES['7.2'], OP.CONNECT)).toBe(24);
    expect(pduSizeFor(PROFILES['7.0'], OP.SOCKET)).toBe(12);
    expect(pduSizeFor(PROFILES['7.0'], OP.OPENAT2)).toBe(24);
    expect(PROFILES['6.18'].bpfFilters).toBe(false);
    expect(PROFILES.v5.ctx.size).toBe(64);
  });
});

describe('error formatting', () => {
  it('points a caret at the token', () => {
    const text = formatError(
      { kind: 'name', message: "unknown opcode 'NOPE'", loc: { file: 't.trace', line: 2, col: 12, len: 4 } },
      'trace x\n  sqe r op=NOPE\nend',
    );
    expect(text).toBe("t.trace:2:12: error: unknown opcode 'NOPE'\n   2 |   sqe r op=NOPE\n" + ' '.repeat(18) + '^^^^');
  });

  it('shows a window of a long line, with the caret still under the token', () => {
    const line = 'x'.repeat(5000) + 'BAD' + 'y'.repeat(5000);
    const text = formatError({ kind: 'syntax', message: 'bad', loc: { file: 'f', line: 2, col: 5001, len: 3 } }, `first\n${line}\nlast`);
    const [, shown, caret] = text.split('\n');
    expect(shown.length).toBeLessThanOrEqual(EXCERPT_WIDTH + 10);
    expect(shown.startsWith('   2 | …') && shown.endsWith('…')).toBe(true);
    // The caret's column in the printed excerpt is where BAD is in it.
    expect(caret.indexOf('^^^')).toBe(shown.indexOf('BAD'));
    expect(caret.trim()).toBe('^^^');
  });

  it('a column near the end of a long line shows its tail without a trailing mark', () => {
    const line = 'a'.repeat(300) + 'Z';
    const [, shown, caret] = formatError({ kind: 'syntax', message: 'z', loc: { file: 'f', line: 1, col: 301 } }, line).split('\n');
    expect(shown.endsWith('Z')).toBe(true);
    expect(caret.indexOf('^')).toBe(shown.indexOf('Z'));
  });
});
