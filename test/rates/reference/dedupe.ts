// The eventID window as it was before session 7 (a Set beside the ring), kept as the reference the
// typed-array table is compared with call by call (test/rates/dedupe.test.ts).
/**
 * Remembers the last `capacity` eventIDs so at-least-once EventBridge/SQS redeliveries are not
 * counted twice. Bounded: a ring buffer evicts the oldest id in O(1) (evicting through a Set's
 * iterator is O(holes) in V8 and made a million-event stream quadratic).
 */
export class ReferenceRecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(1, capacity));
  }

  /** True if `id` was seen within the window (a duplicate); otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.ids.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.ring.length;
    this.ids.add(id);
    return false;
  }

  get size(): number {
    return this.ids.size;
  }
}
