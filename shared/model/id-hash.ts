/**
 * The eventID's hash, shared by the eventID windows (replay's duplicate window `RecentEvents`,
 * shared/pipeline/reorder.ts, and the rate detector's `RecentIds`, shared/rates/dedupe.ts).
 * `normalizeRecord` computes it once per event (`TrailEvent.idHash`) so that neither window hashes
 * the id again; an event made elsewhere (an external finding, a test's literal) may lack it, and
 * `eventIdHash` then computes it.
 */

/**
 * FNV-1a over the UTF-16 code units, its low 30 bits (the eventID windows' hash). Thirty bits, not
 * 32: the value is always a small integer (a Smi) to V8, so the event's `idHash` field holds it in
 * place, where a 32-bit value would make a heap number per event for the garbage collector to move.
 */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < id.length; k += 1) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
  return h & 0x3fffffff;
}

/**
 * `idHash(e.id)`: the hash the event carries (`TrailEvent.idHash`, set by `normalizeRecord` and kept
 * by the worker codec), else computed. A carried hash is trusted: code that gives an event a new id
 * must drop or recompute it (a stale one would only hide a duplicate, never invent one: equal hashes
 * are confirmed on the id strings).
 */
export function eventIdHash(e: { readonly id: string; readonly idHash?: number | undefined }): number {
  const h = e.idHash;
  return h === undefined ? idHash(e.id) : h;
}
