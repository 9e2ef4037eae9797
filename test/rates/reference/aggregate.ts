/**
 * Test oracle: shared/rates/aggregate.ts as it was before the rates-perf rewrite (main at 9ad5b0b), kept
 * verbatim except for import paths so test/rates/equivalence.test.ts can run the old and the new
 * code paths side by side on the same seeded corpora. Not used by any shipped code.
 */
import type { TrailEvent } from '../../../shared/model/types.ts';
import { keysFor, minuteOf, principalIdentity, type RateKey } from '../../../shared/rates/keys.ts';

/** What one batch saw for one key in one minute: the count plus the facts a finding needs. */
export interface MinuteAggregate {
  count: number;
  firstMs: number;
  lastMs: number;
  firstEvent: TrailEvent;
  /** eventSource:eventName -> count (capped at `MAX_DISTINCT` distinct values; the rest go to `other`). */
  names: Map<string, number>;
  sourceIps: Map<string, number>;
  regions: Map<string, number>;
  principals: Map<string, number>;
}

export interface KeyAggregate {
  key: RateKey;
  minutes: Map<number, MinuteAggregate>;
}

const MAX_DISTINCT = 64;

function bump(map: Map<string, number>, value: string): void {
  const cur = map.get(value);
  if (cur !== undefined) map.set(value, cur + 1);
  else if (map.size < MAX_DISTINCT) map.set(value, 1);
  else map.set('(other)', (map.get('(other)') ?? 0) + 1);
}

/** Adds one event to the batch's in-memory aggregate (so the store sees one write per key per batch). */
export function addEvent(aggregates: Map<string, KeyAggregate>, event: TrailEvent, withDetails = true): void {
  const minute = minuteOf(event.timeMs);
  for (const key of keysFor(event)) {
    let agg = aggregates.get(key.id);
    if (!agg) {
      agg = { key, minutes: new Map() };
      aggregates.set(key.id, agg);
    }
    let m = agg.minutes.get(minute);
    if (!m) {
      m = { count: 0, firstMs: event.timeMs, lastMs: event.timeMs, firstEvent: event, names: new Map(), sourceIps: new Map(), regions: new Map(), principals: new Map() };
      agg.minutes.set(minute, m);
    }
    m.count += 1;
    if (event.timeMs < m.firstMs || (event.timeMs === m.firstMs && event.id < m.firstEvent.id)) {
      m.firstMs = event.timeMs;
      m.firstEvent = event;
    }
    if (event.timeMs > m.lastMs) m.lastMs = event.timeMs;
    if (withDetails) {
      bump(m.names, `${event.source}:${event.name}`);
      bump(m.sourceIps, event.sourceIp ?? 'unknown');
      bump(m.regions, event.region);
      if (key.dimension === 'api') bump(m.principals, principalIdentity(event));
    }
  }
}

/** The `n` most frequent values, largest first (ties by name, so output is deterministic). */
export function top(map: Map<string, number>, n: number): Array<{ value: string; count: number }> {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([value, count]) => ({ value, count }));
}
