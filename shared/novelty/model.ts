import type { Finding } from '../model/types.ts';
import { actorOf, changeKindOf, networkOf, userAgentFamily } from './keys.ts';
import { MAX_VALUES_PER_DIMENSION, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';

/** The model's verdict on one finding. */
export interface NoveltyVerdict {
  /** True when something about this change is new for its actor. */
  novel: boolean;
  /** What was new, in words for the route reason ("first time …", "new network 203.0.113.0/24"…). */
  reasons: string[];
  /** How often this actor made this change before (0: never). */
  seenBefore: number;
}

/** The observation a finding makes of its actor and change kind. */
export function observationOf(finding: Finding): Observation {
  const time = Date.parse(finding.time);
  const o: Observation = { key: `${actorOf(finding)}\u0000${changeKindOf(finding)}`, eventId: finding.eventId, timeMs: Number.isFinite(time) ? time : 0 };
  const network = networkOf(finding.sourceIp);
  const agent = userAgentFamily(finding.userAgent);
  if (network) o.network = network;
  if (agent) o.agent = agent;
  if (finding.region) o.region = finding.region;
  return o;
}

/**
 * Pure verdict from the profile as it was before this observation: no profile = a new actor for
 * this change; otherwise each dimension whose value was never seen (and is not saturated) is news.
 */
export function judge(before: NoveltyProfile | undefined, o: Observation, finding: Finding): NoveltyVerdict {
  if (!before) return { novel: true, reasons: [`first time ${actorOf(finding)} makes this change (${changeKindOf(finding)})`], seenBefore: 0 };
  if (before.novelEvents.has(o.eventId)) return { novel: true, reasons: ['judged novel when first delivered (redelivery)'], seenBefore: before.count };
  const reasons: string[] = [];
  const check = (label: string, seen: Set<string>, value: string | undefined): void => {
    if (value !== undefined && seen.size < MAX_VALUES_PER_DIMENSION && !seen.has(value)) reasons.push(`new ${label} ${value}`);
  };
  check('network', before.networks, o.network);
  check('user agent', before.agents, o.agent);
  check('region', before.regions, o.region);
  return { novel: reasons.length > 0, reasons, seenBefore: before.count };
}

/**
 * "Have we seen this before?" beside the rate model: per actor (role sessions by their role) and
 * change kind (detection + API), the networks, user-agent families and regions seen. Each finding is
 * judged against the history before it and then learned. Feed findings in event-time order.
 */
export class NoveltyModel {
  constructor(readonly store: NoveltyStore) {}

  /** Judges and learns one finding. */
  async assess(finding: Finding): Promise<NoveltyVerdict> {
    const o = observationOf(finding);
    const before = await this.store.observe(o);
    const verdict = judge(before, o, finding);
    if (verdict.novel && !before?.novelEvents.has(o.eventId)) await this.store.markNovel(o.key, o.eventId);
    return verdict;
  }
}
