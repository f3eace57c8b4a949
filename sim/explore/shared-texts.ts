// One numbering of texts for all threads of a parallel exploration. A state key
// writes some parts as numbers standing for texts (model/world/key.ts internText);
// each thread numbers texts in the order it first meets them, so two threads that
// met them in different orders would write different keys for one state, or one
// key for two states. Threads that share a key set number texts here instead.
//
// It is asked only for a text its thread has not numbered yet (each thread keeps
// its own map in front of it), so a lock is cheap enough. The table has a fixed
// size: a universe has a few hundred texts; a million is an error, not a slowdown.

const MAX_TEXTS = 1 << 20;
const SLOTS = MAX_TEXTS * 2;
const MAX_CHARS = 1 << 26;

export interface SharedTextsInit {
  /** [lock, texts, chars used] */
  head: SharedArrayBuffer;
  /** Open addressing: text number + 1, 0 = free. */
  table: SharedArrayBuffer;
  /** Per text: where its chars start, and their count. */
  index: SharedArrayBuffer;
  chars: SharedArrayBuffer;
}

/** Make the shared memory of a numbering; '' is number 0, as every thread numbers it at load. */
export function makeSharedTexts(): SharedTextsInit {
  const init: SharedTextsInit = {
    head: new SharedArrayBuffer(12),
    table: new SharedArrayBuffer(SLOTS * 4),
    index: new SharedArrayBuffer(MAX_TEXTS * 8),
    // Pages are committed only when written.
    chars: new SharedArrayBuffer(MAX_CHARS * 2),
  };
  new SharedTexts(init).number('');
  return init;
}

export class SharedTexts {
  private readonly head: Int32Array;
  private readonly table: Int32Array;
  private readonly index: Int32Array;
  private readonly chars: Uint16Array;

  constructor(init: SharedTextsInit) {
    this.head = new Int32Array(init.head);
    this.table = new Int32Array(init.table);
    this.index = new Int32Array(init.index);
    this.chars = new Uint16Array(init.chars);
  }

  /** The text's number: the one any thread gave it first, or the next free one. */
  number(s: string): number {
    const head = this.head;
    while (Atomics.compareExchange(head, 0, 0, 1) !== 0);
    try {
      return this.locked(s);
    } finally {
      Atomics.store(head, 0, 0);
    }
  }

  private locked(s: string): number {
    const { table, index, chars, head } = this;
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    let slot = (h >>> 0) & (SLOTS - 1);
    for (;;) {
      const e = table[slot];
      if (e === 0) break;
      const id = e - 1;
      if (index[2 * id + 1] === s.length) {
        const at = index[2 * id];
        let i = 0;
        while (i < s.length && chars[at + i] === s.charCodeAt(i)) i++;
        if (i === s.length) return id;
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
    const id = head[1], at = head[2];
    if (id >= MAX_TEXTS || at + s.length > MAX_CHARS) {
      throw new Error(`exploration too large: more than ${MAX_TEXTS} distinct texts in its state keys`);
    }
    for (let i = 0; i < s.length; i++) chars[at + i] = s.charCodeAt(i);
    index[2 * id] = at;
    index[2 * id + 1] = s.length;
    table[slot] = id + 1;
    head[1] = id + 1;
    head[2] = at + s.length;
    return id;
  }
}
