import type { Finding } from '../model/types.ts';
import { actorOf, changeKindOf, networkOf, userAgentFamily } from './keys.ts';
import { hourOf, isHumanActor, offHoursOf, type OffHours } from './hours.ts';
import { MAX_VALUES_PER_DIMENSION, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';

/** The model's verdict on one finding. */
export interface NoveltyVerdict {
  /** True when something about this change is new for its actor. */
  novel: boolean;
  /** What was new, in words for the route reason ("first time …", "new network 203.0.113.0/24"…). */
  reasons: string[];
  /** How often this actor made this change before (0: never). */
  seenBefore: number;
  /** Set when a person acted outside their learned usual hours (never for automation; docs/noise.md#time-of-day). */
  offHours?: OffHours;
}

/** The key of an actor's hours profile (one per actor, beside its per-change-kind profiles). */
export function hoursKeyOf(finding: Finding): string {
  return `${actorOf(finding)}\u0000hours`;
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
 * How long something new stays news: a repeat within this time of the first sighting is still
 * novel (the rest of a burst, an attacker's next steps from the same place), not yet routine.
 */
export const SETTLE_MS = 60 * 60 * 1000;
/**
 * An actor seen from this many distinct /24s roams (cloud CI runners, people on the move): a new
 * /24 is news only when its /16 is new; from this many distinct /16s on, a new network is not news
 * at all — its user agent and region still are.
 */
export const ROAMING_NETWORKS = 4;

function since(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  return minutes < 1 ? 'just now' : `${minutes} min ago`;
}

/** The /16 of an IPv4 /24 network value; undefined for other networks. */
function sixteenOf(network: string): string | undefined {
  const m = /^(\d+\.\d+)\.\d+\.0\/24$/.exec(network);
  return m ? `${m[1]}.0.0/16` : undefined;
}

/** Whether a never-seen network is news for this actor (see ROAMING_NETWORKS). */
function networkIsNews(seen: Map<string, number>, network: string): boolean {
  if (seen.size < ROAMING_NETWORKS) return true;
  const sixteen = sixteenOf(network);
  if (sixteen === undefined) return true;
  const sixteens = new Set([...seen.keys()].map(sixteenOf).filter((x): x is string => x !== undefined));
  return sixteens.size < ROAMING_NETWORKS && !sixteens.has(sixteen);
}

/**
 * Pure verdict from the profile as it was before this observation: no profile (or one first seen
 * less than SETTLE_MS ago) = a new actor for this change; otherwise each dimension whose value was
 * never seen (or first seen less than SETTLE_MS ago) is news, except on a saturated dimension and
 * a new network of a roaming actor.
 */
export function judge(before: NoveltyProfile | undefined, o: Observation, finding: Finding): NoveltyVerdict {
  const first = `first time ${actorOf(finding)} makes this change (${changeKindOf(finding)})`;
  if (!before) return { novel: true, reasons: [first], seenBefore: 0 };
  if (before.novelEvents.has(o.eventId)) return { novel: true, reasons: ['judged novel when first delivered (redelivery)'], seenBefore: before.count };
  if (o.timeMs - before.firstSeenMs < SETTLE_MS) return { novel: true, reasons: [`${first.replace('first time', 'new:')}, first seen ${since(o.timeMs - before.firstSeenMs)}`], seenBefore: before.count };
  const reasons: string[] = [];
  const check = (label: string, seen: Map<string, number>, value: string | undefined, isNews: () => boolean): void => {
    if (value === undefined) return;
    const at = seen.get(value);
    if (at === undefined) {
      if (seen.size < MAX_VALUES_PER_DIMENSION && isNews()) reasons.push(`new ${label} ${value}`);
    } else if (o.timeMs - at < SETTLE_MS) reasons.push(`new ${label} ${value} (first seen ${since(o.timeMs - at)})`);
  };
  check('network', before.networks, o.network, () => (o.network === undefined ? false : networkIsNews(before.networks, o.network)));
  check('user agent', before.agents, o.agent, () => true);
  check('region', before.regions, o.region, () => true);
  return { novel: reasons.length > 0, reasons, seenBefore: before.count };
}

/**
 * "Have we seen this before?" beside the rate model: per actor (role sessions by their role) and
 * change kind (detection + API), the networks, user-agent families and regions seen. Each finding is
 * judged against the history before it and then learned. Feed findings in event-time order.
 */
export class NoveltyModel {
  constructor(readonly store: NoveltyStore) {}

  /**
   * Judges and learns one finding. For a person (not automation), also the hour: judged against
   * their hours profile as it was before, then counted into it.
   */
  async assess(finding: Finding): Promise<NoveltyVerdict> {
    const o = observationOf(finding);
    const before = await this.store.observe(o);
    const verdict = judge(before, o, finding);
    if (verdict.novel && !before?.novelEvents.has(o.eventId)) await this.store.markNovel(o.key, o.eventId);
    if (isHumanActor(finding) && o.timeMs > 0) {
      const hours = await this.store.observeHour(hoursKeyOf(finding), hourOf(o.timeMs), o.timeMs);
      const offHours = offHoursOf(hours, o.timeMs);
      if (offHours) verdict.offHours = offHours;
    }
    return verdict;
  }
}
