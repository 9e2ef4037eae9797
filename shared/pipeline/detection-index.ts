import type { Detection } from '../detections/types.ts';
import { CLOUDTRAIL_DETAIL_TYPES } from '../model/normalize.ts';
import type { TrailEvent } from '../model/types.ts';
import { type EventPattern, isWildcardDetection, namedPairIndex, patternFor } from './event-rules.ts';

/**
 * Which detections an event can match, so replay runs only those instead of every detection on
 * every event. Derived from the same definitions the generated EventBridge rules use
 * (`shared/pipeline/event-rules.ts`), so it cannot drift from what is deployed:
 *
 * - named detections by their (eventSource, eventName) pairs (`namedPairIndex`, as the named rules);
 * - wildcard detections by their rule's pattern (`patternFor`): each `$or` branch is keyed on the
 *   most selective exact condition it has — the (eventSource, eventName) pair, else
 *   `userIdentity.type`, else a non-CloudTrail `detail-type` (other detectors' findings). A branch
 *   with none of those (e.g. a user-agent wildcard) puts its detection on the always-run list.
 *
 * Every key is a necessary condition of its branch, so the detections selected for an event are a
 * superset of those whose rule would deliver it: nothing a rule would route is ever left out.
 * test/pipeline/detection-index.test.ts proves the findings equal running every detection.
 */
export interface DetectionIndex {
  /** The detections to run on this event, in registry order. */
  forEvent(event: TrailEvent): readonly Detection[];
  /** Detections whose pattern cannot be indexed: they run on every event. */
  readonly alwaysRun: readonly Detection[];
  /** How each wildcard detection is keyed (docs/performance.md, tests). */
  readonly keyedBy: Readonly<Record<string, string[]>>;
}

const CLOUDTRAIL = new Set<string>(CLOUDTRAIL_DETAIL_TYPES);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The plain strings of a pattern value list, or undefined when any entry is an operator (prefix, wildcard…). */
function exactValues(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((v): v is string => typeof v === 'string') ? value : undefined;
}

/** The top-level `$or` branches of a pattern (a pattern without `$or` is one branch). */
function branchesOf(pattern: EventPattern): EventPattern[] {
  const or = pattern['$or'];
  if (!Array.isArray(or)) return [pattern];
  const rest = Object.fromEntries(Object.entries(pattern).filter(([k]) => k !== '$or'));
  // `{a, $or: [x, y]}` = `{a, ...x} | {a, ...y}`; nested `$or` is expanded recursively.
  return or.filter(isObject).flatMap((b) => branchesOf({ ...rest, ...b }));
}

type BranchKey = { kind: 'pair'; pairs: Array<[string, string]> } | { kind: 'principalType'; values: string[] } | { kind: 'detailType'; values: string[] } | { kind: 'none' };

function keyOfBranch(branch: EventPattern): BranchKey {
  const detail = isObject(branch['detail']) ? branch['detail'] : {};
  const sources = exactValues(detail['eventSource']);
  const names = exactValues(detail['eventName']);
  if (sources && names) return { kind: 'pair', pairs: sources.flatMap((s) => names.map((n): [string, string] => [s, n])) };
  const identity = isObject(detail['userIdentity']) ? detail['userIdentity'] : {};
  const types = exactValues(identity['type']);
  if (types) return { kind: 'principalType', values: types };
  const detailTypes = exactValues(branch['detail-type']);
  // A CloudTrail detail-type holds every record of that kind: no narrowing.
  if (detailTypes && !detailTypes.some((t) => CLOUDTRAIL.has(t))) return { kind: 'detailType', values: detailTypes };
  return { kind: 'none' };
}

/** Builds the index once per run (a few hundred map entries for the whole registry). */
export function createDetectionIndex(registry: readonly Detection[]): DetectionIndex {
  const order = new Map(registry.map((d, i) => [d, i]));
  const byPair = new Map<string, Set<Detection>>();
  const byPrincipalType = new Map<string, Set<Detection>>();
  const byDetailType = new Map<string, Set<Detection>>();
  const always: Detection[] = [];
  const keyedBy: Record<string, string[]> = {};
  const add = (map: Map<string, Set<Detection>>, key: string, d: Detection): void => {
    const set = map.get(key) ?? new Set<Detection>();
    set.add(d);
    map.set(key, set);
  };
  const pairKey = (source: string, name: string): string => `${source}\u0000${name}`;

  const named = namedPairIndex(registry);
  const byId = new Map(registry.map((d) => [d.id, d]));
  for (const [source, names] of named) {
    for (const [name, ids] of names) for (const id of ids) add(byPair, pairKey(source, name), byId.get(id) as Detection);
  }
  for (const d of registry.filter(isWildcardDetection)) {
    const keys = branchesOf(patternFor(d.matches, d.id)).map(keyOfBranch);
    if (keys.some((k) => k.kind === 'none')) {
      always.push(d);
      keyedBy[d.id] = ['always'];
      continue;
    }
    const described: string[] = [];
    for (const k of keys) {
      if (k.kind === 'pair') for (const [s, n] of k.pairs) add(byPair, pairKey(s, n), d);
      if (k.kind === 'principalType') for (const t of k.values) add(byPrincipalType, t, d);
      if (k.kind === 'detailType') for (const t of k.values) add(byDetailType, t, d);
      described.push(k.kind === 'pair' ? `eventSource+eventName (${k.pairs.length})` : k.kind === 'principalType' ? `userIdentity.type ${k.values.join('|')}` : k.kind === 'detailType' ? `detail-type (${k.values.length})` : 'always');
    }
    keyedBy[d.id] = described;
  }

  // One list per distinct (eventSource, eventName, principal type) seen, nested so no key string is built
  // per event: bounded by the archive's distinct APIs. Events with an EventBridge detail-type take the slow path.
  const cache = new Map<string, Map<string, Map<string, readonly Detection[]>>>();
  let cached = 0;
  const MAX_CACHED = 50_000;
  const inOrder = (a: Detection, b: Detection): number => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  const select = (event: TrailEvent, detailType: string | undefined): readonly Detection[] => {
    const chosen = new Set<Detection>(always);
    for (const d of byPair.get(pairKey(event.source, event.name)) ?? []) chosen.add(d);
    for (const d of byPrincipalType.get(event.principal.type) ?? []) chosen.add(d);
    if (detailType !== undefined) for (const d of byDetailType.get(detailType) ?? []) chosen.add(d);
    return [...chosen].sort(inOrder);
  };
  return {
    alwaysRun: always,
    keyedBy,
    forEvent(event) {
      const detailType = event.envelope?.detailType;
      if (detailType !== undefined && byDetailType.has(detailType)) return select(event, detailType);
      let names = cache.get(event.source);
      if (names === undefined) {
        names = new Map();
        cache.set(event.source, names);
      }
      let types = names.get(event.name);
      if (types === undefined) {
        types = new Map();
        names.set(event.name, types);
      }
      let list = types.get(event.principal.type);
      if (list === undefined) {
        list = select(event, undefined);
        if (cached >= MAX_CACHED) {
          cache.clear();
          cached = 0;
        }
        types.set(event.principal.type, list);
        cached++;
      }
      return list;
    },
  };
}
