// A key set that stores each key in pieces, for searches too large for whole keys
// (a complete depth-7 search keeps about a hundred million keys of about 120 bytes).
//
// A key's bytes are cut into 16-byte pieces (the last one shorter); each piece is
// interned in a set of pieces and stands for its entry number there, and the key
// is kept as the list of its pieces' numbers (varints, about 2 bytes each). Keys of
// neighbouring states share most pieces, so the pieces are few (tens of thousands
// at depth 5) and a key costs about a sixth of its bytes (measured in
// docs/distributed.md).
//
// Exact, not a hash compaction: equal keys give equal piece lists, and equal piece
// lists mean equal pieces in the same order, so equal keys (a piece's length is part
// of it, so the last piece tells keys of different lengths apart). The cut depends on
// the bytes alone, never on how the key was written.

import { KeyBuf } from '../../model/world/key.ts';
import { KeySet } from './keyset.ts';

/** Bytes per piece (four words: a piece is copied and compared a word at a time). */
export const PIECE_BYTES = 16;

/** What a search needs of its key set (KeySet, CompactKeySet). */
export interface StateKeys {
  readonly size: number;
  /** Add the key in buf: the new entry's index, or -1 - the index of the entry that holds it. */
  addKey(buf: KeyBuf): number;
  /** addKey, given buf.hash() computed where the key was made. */
  addHashed(buf: KeyBuf, h: number): number;
}

export class CompactKeySet implements StateKeys {
  private readonly pieces = new KeySet();
  private readonly lists = new KeySet();
  private readonly piece = new KeyBuf();
  private readonly list = new KeyBuf();

  get size(): number {
    return this.lists.size;
  }

  /** Distinct pieces so far (for the log and the docs' figures). */
  get pieceCount(): number {
    return this.pieces.size;
  }

  addKey(buf: KeyBuf): number {
    const { piece, list } = this;
    const w = buf.w, pw = piece.w, n = buf.n;
    list.reset();
    for (let at = 0; at < n; at += PIECE_BYTES) {
      const word = at >>> 2;
      pw[0] = w[word]; pw[1] = w[word + 1]; pw[2] = w[word + 2]; pw[3] = w[word + 3];
      piece.n = Math.min(PIECE_BYTES, n - at);
      const e = this.pieces.addKey(piece);
      list.put(e >= 0 ? e : -1 - e);
    }
    return this.lists.addKey(list);
  }

  /** (The whole key's hash is of no use here: the list of pieces has its own.) */
  addHashed(buf: KeyBuf, _h: number): number {
    return this.addKey(buf);
  }
}
