import type { Finding, TrailEvent } from '../model/types.ts';
import type { StreamProcessor } from '../pipeline/types.ts';
import { outsideRatesScope } from '../rates/scope.ts';
import type { BaselineId } from './behaviours.ts';
import { defaultBaselineConfig, type BaselineConfig } from './config.ts';
import { baselineFinding } from './findings.ts';
import { observationsOf, type Observation } from './observations.ts';
import { observe, type Profile, type ProfileScan } from './profile.ts';
import { MemoryBaselineStore, type BaselineStore } from './store.ts';

export interface BaselineStats {
  /** Events counted into a profile, per behaviour. */
  observed: Record<BaselineId, number>;
  /** Of those, seen while their profile was still learning. */
  learning: number;
  /** Findings (new values outside learning). */
  novel: number;
  /** Events a baseline wanted but could not judge, by reason (logged, counted, never thrown). */
  skipped: Record<string, number>;
  /** Events outside the deployed rates rule's view (replay only). */
  outOfScope: number;
}

/**
 * The three baseline behaviours as one stream processor: for each event (in event-time order)
 * the observations it makes, grouped by profile so each profile is read and written once per
 * batch, judged by the pure `observe`, and reported through `baselineFinding`. Replay runs it with
 * the memory store; the rates function with the DynamoDB store on every SQS batch.
 */
export class BaselineProcessor implements StreamProcessor {
  readonly name = 'baseline';
  /** The role assumed, and the SAML / OIDC provider of a federated assumption (observations.ts). */
  readonly requestParameters: readonly string[] = ['roleArn', 'principalArn', 'providerId'];
  readonly stats: BaselineStats = { observed: { 'unusual-role-assumption': 0, 'new-api-for-principal': 0, 'signin-from-new-location': 0 }, learning: 0, novel: 0, skipped: {}, outOfScope: 0 };

  constructor(
    readonly store: BaselineStore = new MemoryBaselineStore(),
    private readonly config: BaselineConfig = defaultBaselineConfig(),
  ) {}

  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    const seen = new Set<string>();
    // Replay's batches come out of its reorder window already in time order: sort only when not
    // (a stable sort of an ordered list is the list itself, so the order is the same either way).
    let inOrder = true;
    let previous = Number.NEGATIVE_INFINITY;
    const timed: TrailEvent[] = [];
    // Indexed loops, not for-of, here and below: before the optimizing compiler takes these loops
    // over (a replay runs each only ~100 times), for-of allocates an iterator result per element.
    for (let i = 0; i < events.length; i += 1) {
      const e = events[i] as TrailEvent;
      const t = e.timeMs;
      if (!Number.isFinite(t)) continue;
      if (t < previous) inOrder = false;
      previous = t;
      timed.push(e);
    }
    const sorted = inOrder ? timed : timed.sort((a, b) => a.timeMs - b.timeMs);
    // Observations by behaviour, then profile key: no `behaviour|key` string per observation (the
    // store key is built once per profile and batch); `order` keeps the profiles in first-seen order.
    const byBehaviour = new Map<BaselineId, Map<string, Observation[]>>();
    const order: Observation[][] = [];
    for (let i = 0; i < sorted.length; i += 1) {
      const e = sorted[i] as TrailEvent;
      // The same events as the deployed rates rule delivers, so replay and Lambda learn alike.
      if (outsideRatesScope(e)) {
        this.stats.outOfScope += 1;
        continue;
      }
      if (seen.has(e.id)) continue; // at-least-once delivery inside one batch
      seen.add(e.id);
      const { observations, skips } = observationsOf(e, this.config.maxTextLength);
      for (let k = 0; k < skips.length; k += 1) {
        const reason = skips[k] as string;
        this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) + 1;
      }
      for (let k = 0; k < observations.length; k += 1) {
        const o = observations[k] as Observation;
        let profiles = byBehaviour.get(o.behaviour);
        if (!profiles) byBehaviour.set(o.behaviour, (profiles = new Map()));
        const list = profiles.get(o.key);
        if (list) list.push(o);
        else {
          const first = [o];
          profiles.set(o.key, first);
          order.push(first);
        }
      }
    }
    const findings: Finding[] = [];
    for (const observations of order) {
      const { behaviour, key: profileKey } = observations[0] as Observation;
      const key = `${behaviour}|${profileKey}`;
      const limits = this.config.limits[behaviour];
      const result = await this.store.update(key, (current) => {
        let profile: Profile | undefined = current;
        let changed = false;
        const out: Finding[] = [];
        let learning = 0;
        // What each step learnt of the profile it returned, for the next step on the same object
        // (made here: a change function may run again, on a fresh copy).
        let scan: ProfileScan | undefined;
        for (let k = 0; k < observations.length; k += 1) {
          const o = observations[k] as Observation;
          const step = observe(profile, o.values, o.event.timeMs, o.event.id, limits, scan);
          profile = step.profile;
          scan = step.scan;
          changed ||= step.changed;
          if (step.judgement.learning) learning += 1;
          if (step.judgement.novel.length > 0) out.push(baselineFinding(o, step.judgement));
        }
        return { ...(changed && profile ? { next: profile } : {}), result: { out, learning } };
      });
      this.stats.observed[behaviour] += observations.length;
      this.stats.learning += result.learning;
      this.stats.novel += result.out.length;
      findings.push(...result.out);
    }
    return findings.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.detection.localeCompare(b.detection));
  }

  /** Nothing is pending: a new value is reported by the batch that shows it. */
  async flush(): Promise<Finding[]> {
    return [];
  }

  notes(): string[] {
    return Object.entries(this.stats.skipped).map(([why, n]) => `baseline behaviours could not judge ${n} event(s): ${why}`);
  }
}
