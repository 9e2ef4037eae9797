import type { Log } from '../log.ts';
import { boundFinding, reducedFinding } from '../model/finding-bounds.ts';
import type { Finding } from '../model/types.ts';

/**
 * The findings a sink can build entries for: each one bounded (`shared/model/finding-bounds.ts`),
 * and one whose entry still cannot be built (its renderer throws) replaced by a reduced finding
 * saying why. Other findings of the batch are unaffected.
 */
export function sendable(findings: readonly Finding[], build: (f: Finding) => unknown, log: Log): Finding[] {
  return findings.map((original) => {
    const finding = boundFinding(original);
    try {
      build(finding);
      return finding;
    } catch (error) {
      log.warn('finding could not be rendered; sent reduced', { eventId: finding.eventId, detection: finding.detection, error: (error as Error).message });
      return reducedFinding(finding, `finding could not be rendered: ${(error as Error).message}`);
    }
  });
}

/**
 * Makes a finding fit a sink's size limit (SNS and EventBridge both cap an entry at 256 KB) by
 * removing its largest `details` values first and saying so in `details.trimmed`, instead of
 * failing the delivery: the alert still goes out, and the note tells the reader where to find
 * the full record (the CloudTrail event id). Returns the finding unchanged when it fits.
 */
export function fitFinding(finding: Finding, maxBytes: number, measure: (f: Finding) => number, sink: string): Finding {
  if (measure(finding) <= maxBytes) return finding;
  const entries = Object.entries(finding.details).map(([key, value]) => ({ key, value, size: byteLength(safeJson(value)) }));
  entries.sort((a, b) => b.size - a.size);
  const removed: string[] = [];
  const kept = new Map(entries.map((e) => [e.key, e.value]));
  const note = (): Record<string, unknown> => ({
    reason: `finding exceeded the ${maxBytes}-byte ${sink} limit; the largest details were removed`,
    removedKeys: [...removed],
    fullRecord: `CloudTrail event ${finding.eventId}`,
  });
  const build = (): Finding => ({ ...finding, details: { ...Object.fromEntries(kept), trimmed: note() } });
  let candidate = build();
  for (const e of entries) {
    if (measure(candidate) <= maxBytes) return candidate;
    kept.delete(e.key);
    removed.push(e.key);
    candidate = build();
  }
  if (measure(candidate) <= maxBytes) return candidate;
  // Still too large without any details: the free-text fields are the only ones left that can grow.
  const cut = (s: string | undefined, n: number) => (s && s.length > n ? `${s.slice(0, n)}…` : s);
  const shrunk: Finding = { ...candidate, title: cut(candidate.title, 1000) ?? '' };
  if (candidate.runbook) shrunk.runbook = cut(candidate.runbook, 2000) ?? '';
  if (candidate.userAgent) shrunk.userAgent = cut(candidate.userAgent, 500) ?? '';
  delete shrunk.references;
  return shrunk;
}

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Splits items into batches of at most `maxCount` items and `maxBytes` total size. */
export function batchBySize<T>(items: readonly T[], size: (item: T) => number, maxCount: number, maxBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + s > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += s;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
