import type { DetectionMeta } from '../detections/types.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import type { Finding } from '../model/types.ts';
import { NoveltyModel } from '../novelty/model.ts';
import { MemoryNoveltyStore } from '../novelty/store.ts';
import type { FindingEnricher } from '../pipeline/enrichers.ts';
import { EMPTY_TUNING } from '../tuning/semantics.ts';
import { matchSuppression, selectorMatches } from '../tuning/match.ts';
import type { Suppression, TuningConfig } from '../tuning/types.ts';
import { decideRoute, type RouteInput } from './decide.ts';

export interface RouterOptions {
  tuning?: TuningConfig;
  /** The novelty model (memory store in replay, DynamoDB deployed); omit to route on severity and configuration only. */
  novelty?: NoveltyModel;
  /** Detection metadata (for `routine.learnable`). */
  detections?: readonly Pick<DetectionMeta, 'id' | 'routine'>[];
  log?: Log;
  /** Organization members beyond the tuning file (the deployed AWS Organizations directory); see `RouteInput.members`. */
  members?: RouteInput['members'];
}

/** Detection id of the finding that says a suppression expired. */
export const SUPPRESSION_EXPIRED = 'suppression-expired';

/**
 * The routing step: runs after every enricher (it must see final severities), before the sinks.
 * For each finding, in event-time order: detections turned off and active suppressions route it
 * `record` (marked, still delivered to the findings bus and counted); severity overrides apply;
 * the novelty model judges and learns it; `decideRoute` picks `route` and `routeReason`. A
 * suppression that has expired no longer applies and produces one `suppression-expired` finding.
 * Suppression expiry is judged at the finding's event time, so a replay of history and the live
 * stack agree.
 */
export class Router implements FindingEnricher {
  readonly name = 'routing';
  private readonly tuning: TuningConfig;
  private readonly learnable = new Map<string, boolean>();
  private readonly expiredReported = new Set<string>();
  private readonly log: Log;

  constructor(private readonly options: RouterOptions = {}) {
    this.tuning = options.tuning ?? EMPTY_TUNING;
    for (const d of options.detections ?? []) this.learnable.set(d.id, d.routine?.learnable !== false);
    this.log = options.log ?? silentLog;
  }

  async enrich(findings: Finding[]): Promise<Finding[]> {
    const order = findings.map((f, i) => ({ f, i })).sort((a, b) => a.f.time.localeCompare(b.f.time) || a.i - b.i);
    const out: Finding[] = new Array<Finding>(findings.length);
    const extra: Finding[] = [];
    for (const { f, i } of order) {
      const routed = await this.routeOne(f, extra);
      out[i] = routed;
    }
    return [...out, ...extra];
  }

  private async routeOne(original: Finding, extra: Finding[]): Promise<Finding> {
    const f: Finding = { ...original, details: { ...original.details } };
    const verdict = this.options.novelty ? await this.safeAssess(f) : undefined;
    const toggle = this.tuning.detections?.[f.detection];
    if (toggle?.enabled === false) {
      return { ...f, route: 'record', routeReason: `${f.severity}; detection turned off in configuration${toggle.reason ? ` (${toggle.reason})` : ''} → record` };
    }
    const override = this.tuning.severityOverrides?.find((o) => selectorMatches(o, f));
    if (override && override.severity !== f.severity) {
      f.details['severityOverride'] = { from: f.severity, to: override.severity, ...(override.reason ? { reason: override.reason } : {}) };
      f.severity = override.severity;
    }
    const time = Date.parse(f.time);
    const { active, expired } = matchSuppression(this.tuning, f, Number.isFinite(time) ? time : Date.now());
    if (active) {
      return {
        ...f,
        suppressed: { id: active.id, reason: active.reason, owner: active.owner, expires: active.expires },
        route: 'record',
        routeReason: `${f.severity}; suppressed by ${active.id} (${active.reason}; owner ${active.owner}; until ${active.expires}) → record`,
      };
    }
    const decision = decideRoute({
      finding: f,
      tuning: this.tuning,
      learnable: this.learnable.get(f.detection) ?? true,
      ...(verdict ? { novelty: verdict } : {}),
      ...(this.options.members ? { members: this.options.members } : {}),
    });
    let reason = decision.reason;
    if (override && f.details['severityOverride']) reason = `severity overridden (${override.reason ?? 'configuration'}): ${reason}`;
    if (expired) {
      reason = `${reason} (suppression ${expired.id} expired on ${expired.expires})`;
      if (!this.expiredReported.has(expired.id)) {
        this.expiredReported.add(expired.id);
        extra.push(expiredFinding(expired, f));
      }
    }
    return { ...f, route: decision.route, routeReason: reason };
  }

  /** A novelty store failure must not lose the finding: it is routed on severity and configuration alone. */
  private async safeAssess(f: Finding) {
    try {
      return await this.options.novelty?.assess(f);
    } catch (error) {
      this.log.error('novelty store failed; finding routed without novelty', { detection: f.detection, eventId: f.eventId, error: (error as Error).message });
      return undefined;
    }
  }
}

/** The alert that a suppression expired: its findings alert again until someone renews or deletes it. */
export function expiredFinding(s: Suppression, first: Finding): Finding {
  return {
    detection: SUPPRESSION_EXPIRED,
    severity: 'medium',
    title: `Suppression ${s.id} (owner ${s.owner}) expired on ${s.expires}: matching ${s.detection} findings alert again`,
    eventId: `${SUPPRESSION_EXPIRED}:${s.id}:${s.expires}`,
    eventName: first.eventName,
    eventSource: first.eventSource,
    time: first.time,
    account: first.account,
    region: first.region,
    principal: { type: 'Trailwatch', name: 'tuning configuration' },
    details: { suppression: { ...s }, firstMatch: { detection: first.detection, eventId: first.eventId, title: first.title } },
    runbook: `Renew suppression ${s.id} in trailwatch.config.yaml with a new expiry and a reason that still holds, or delete it; until then its findings are routed normally.`,
    route: 'digest',
    routeReason: `a configured suppression expired (owner ${s.owner}) → digest`,
  };
}

/** The router with an in-memory novelty model, as replay and tests use it. */
export async function createLocalRouter(options: Omit<RouterOptions, 'novelty'> & { novelty?: boolean } = {}): Promise<Router> {
  const { novelty, ...rest } = options;
  return new Router({ ...rest, ...(novelty === false ? {} : { novelty: new NoveltyModel(new MemoryNoveltyStore()) }) });
}
