import { idHash } from '../model/id-hash.ts';

/**
 * Remembers the last `capacity` eventIDs so at-least-once EventBridge/SQS redeliveries are not
 * counted twice. Bounded: a ring buffer holds the ids in the order remembered and evicts the oldest
 * in O(1).
 *
 * The index over the ring is an open-addressing hash table in typed arrays (linear probing, deletion
 * by backward shift), not a `Set<string>`: a miss — nearly every event — then reads two typed arrays
 * and never the id strings of other events (a `Set` compares against the strings in its chain, each a
 * cache miss on a 100,000-id window), and an eviction leaves no hole to rehash later. The id's hash is
 * computed here from its characters; an equal hash is confirmed by comparing the strings, so the
 * answers are exactly those of a set of the last `capacity` ids (test/rates/dedupe.test.ts checks
 * them call by call against one).
 */
export class RecentIds {
  private readonly ring: Array<string | undefined>;
  /** The hash of each ring entry. */
  private readonly hashes: Int32Array;
  /** Open-addressing table: 0 is empty, otherwise ring index + 1. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    const size = Math.max(1, capacity);
    this.ring = new Array<string | undefined>(size).fill(undefined);
    this.hashes = new Int32Array(size);
    // At most half full: short probe runs.
    let slots = 2;
    while (slots < 2 * size) slots *= 2;
    this.table = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /**
   * True if `id` was seen within the window (a duplicate); otherwise remembers it and returns false.
   * `h` is `idHash(id)`, passed when the caller has it already (`TrailEvent.idHash`).
   */
  seen(id: string, h: number = idHash(id)): boolean {
    const { table, hashes, ring, mask } = this;
    let i = h & mask;
    for (;;) {
      const s = table[i] as number;
      if (s === 0) break;
      const r = s - 1;
      if (hashes[r] === h && ring[r] === id) return true;
      i = (i + 1) & mask;
    }
    const at = this.next;
    if (ring[at] !== undefined) this.remove(at);
    else this.count += 1;
    // The eviction may have shifted entries into the run: find the first empty slot again.
    i = h & mask;
    while ((table[i] as number) !== 0) i = (i + 1) & mask;
    table[i] = at + 1;
    ring[at] = id;
    hashes[at] = h;
    this.next = at + 1 === ring.length ? 0 : at + 1;
    return false;
  }

  /** Drops ring entry `r` from the table (backward-shift deletion keeps every probe run unbroken). */
  private remove(r: number): void {
    const { table, hashes, mask } = this;
    let i = (hashes[r] as number) & mask;
    while ((table[i] as number) !== r + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = table[j] as number;
      if (s === 0) break;
      const home = (hashes[s - 1] as number) & mask;
      // The entry at j may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = s;
        i = j;
      }
    }
    table[i] = 0;
  }

  get size(): number {
    return this.count;
  }
}
