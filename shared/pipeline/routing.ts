/**
 * Which detections one detect invocation runs, so that every (detection, CloudTrail event) is
 * produced exactly once however many EventBridge rules the event matches (the rules are built in
 * shared/pipeline/event-rules.ts). Each rule's target wraps the event with its route:
 *
 *     {"trailwatch": {"route": "named" | "wildcard:<id>"}, "event": <the EventBridge event>}
 *
 * - `named`: the event came through the one named rule holding its (eventSource, eventName) pair:
 *   run every non-wildcard detection that lists the pair.
 * - `wildcard:<id>`: the event came through that wildcard detection's own rule: run only it.
 * - no wrapper (a bare event: replay, a test, a manual invoke): run every detection, as replay does.
 *
 * The union over the rules an event matches is therefore every detection that watches it, each once.
 */
import type { Detection } from '../detections/types.ts';

/** What the router needs of a registry entry: a detection, or a catalog entry not loaded yet. */
export type Routable = Pick<Detection, 'id' | 'matches'>;
import { matchesPattern } from './event-pattern.ts';
import { isWildcardDetection, NAMED_ROUTE, namedPairIndex, patternFor } from './event-rules.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An invocation input split into its route (undefined for a bare event) and the event itself. */
export interface RoutedInput {
  route?: string;
  event: unknown;
}

/** Unwraps `{"trailwatch":{"route"},"event"}`; anything else is a bare event. */
export function unwrapRouted(input: unknown): RoutedInput {
  if (isObject(input) && isObject(input['trailwatch']) && 'event' in input) {
    const route = input['trailwatch']['route'];
    return typeof route === 'string' ? { route, event: input['event'] } : { event: input['event'] };
  }
  return { event: input };
}

/** What one invocation runs and whether it is the one that counts the event in the metrics. */
export interface RouteSelection<D extends Routable = Detection> {
  /** The registry's entries to run: detections, or catalog entries whose code loads on demand (shared/detections/catalog-entry.ts). */
  detections: readonly D[];
  /**
   * True for exactly one of the invocations an event causes (the named rule's, else the first
   * matching wildcard rule's): only that one counts the event as processed or skipped.
   */
  countsEvent: boolean;
  /**
   * Set when the route is unknown to this registry (rules and code from different versions, e.g.
   * mid-deploy): then every detection runs — a possible duplicate is better than a lost finding.
   */
  unknownRoute?: string;
}

function pairOf(event: unknown): { source?: string; name?: string } {
  const detail = isObject(event) ? event['detail'] : undefined;
  if (!isObject(detail)) return {};
  const source = typeof detail['eventSource'] === 'string' ? detail['eventSource'] : undefined;
  const name = typeof detail['eventName'] === 'string' ? detail['eventName'] : undefined;
  return { ...(source ? { source } : {}), ...(name ? { name } : {}) };
}

/**
 * Builds the route selector for a registry once (per cold start): an index of named pairs and the
 * wildcard detections' patterns.
 */
export function createRouter<D extends Routable = Detection>(registry: readonly D[]): (input: RoutedInput) => RouteSelection<D> {
  const index = namedPairIndex(registry);
  const byId = new Map(registry.map((d) => [d.id, d]));
  const wildcards = registry
    .filter(isWildcardDetection)
    // Code-unit order, the same as localeCompare for ids (lowercase ASCII, digits and hyphens) without
    // creating an ICU collator at every cold start (~10 ms on the 2-core VM: docs/performance.md).
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((d) => ({ detection: d, pattern: patternFor(d.matches, d.id) }));
  const named = new Map<string, D[]>();
  const namedFor = (source: string | undefined, name: string | undefined): D[] => {
    if (source === undefined || name === undefined) return [];
    const key = `${source}\u0000${name}`;
    let list = named.get(key);
    if (!list) {
      const ids = index.get(source)?.get(name) ?? [];
      list = registry.filter((d) => ids.includes(d.id));
      named.set(key, list);
    }
    return list;
  };
  const wildcardMatches = (event: unknown, id: string): boolean => {
    const w = wildcards.find((x) => x.detection.id === id);
    try {
      return w !== undefined && matchesPattern(w.pattern, event);
    } catch {
      return false;
    }
  };

  return ({ route, event }) => {
    if (route === undefined) return { detections: registry, countsEvent: true };
    const { source, name } = pairOf(event);
    if (route === NAMED_ROUTE) return { detections: namedFor(source, name), countsEvent: true };
    const id = route.startsWith('wildcard:') ? route.slice('wildcard:'.length) : undefined;
    const detection = id === undefined ? undefined : byId.get(id);
    if (!detection || !isWildcardDetection(detection)) return { detections: registry, countsEvent: true, unknownRoute: route };
    // The named rule counts events whose pair it holds; otherwise the first wildcard rule that matches.
    const heldByNamedRule = source !== undefined && name !== undefined && index.get(source)?.has(name) === true;
    const first = heldByNamedRule ? undefined : wildcards.find((w) => wildcardMatches(event, w.detection.id));
    return { detections: [detection], countsEvent: !heldByNamedRule && (first === undefined || first.detection.id === id) };
  };
}
