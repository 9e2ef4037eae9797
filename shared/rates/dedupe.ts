/**
 * Remembers the last `capacity` eventIDs (insertion order) so at-least-once EventBridge/SQS
 * redeliveries are not counted twice. Bounded: the oldest id is forgotten first.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** True if `id` was seen within the window (a duplicate); otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return false;
  }

  get size(): number {
    return this.ids.size;
  }
}
