import type { Finding, TrailEvent } from '../model/types.ts';
import type { StreamProcessor } from '../pipeline/types.ts';
import { defaultRateConfig, type RateConfig } from './config.ts';
import { RateDetector, type RateStats } from './detector.ts';
import { outsideRatesScope } from './scope.ts';
import { MemoryRateStore, type RateStore } from './store.ts';

/**
 * The API-rate anomaly detector as a `StreamProcessor`, for local replay (in-memory state by
 * default) and for any handler that already has normalised events.
 */
export class RateProcessor implements StreamProcessor {
  readonly name = 'api-rates';
  /** Counts by principal, API and minute: no request parameter. */
  readonly requestParameters: readonly string[] = [];
  readonly detector: RateDetector;

  constructor(store?: RateStore, config: RateConfig = defaultRateConfig()) {
    store ??= new MemoryRateStore(config.ttlDays * 86_400);
    this.detector = new RateDetector(store, config);
  }

  /** Events left out because the deployed rates rule never receives them (data events, service events…). */
  readonly outOfScope: Record<string, number> = {};

  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    // Only what the deployed rates rule receives (shared/rates/scope.ts), so replay and Lambda count alike.
    // A batch wholly in scope (the usual one) is passed as it is; the list is copied from the first event left out.
    let inScope: TrailEvent[] | undefined;
    for (let i = 0; i < events.length; i += 1) {
      const e = events[i] as TrailEvent;
      const why = outsideRatesScope(e);
      if (why) {
        this.outOfScope[why] = (this.outOfScope[why] ?? 0) + 1;
        inScope ??= events.slice(0, i);
      } else if (inScope) {
        inScope.push(e);
      }
    }
    // Replay has no delivery time: skew cannot be judged, and event time is the only clock.
    return (await this.detector.process(inScope ?? events)).findings;
  }

  /** One line per kind of event left out, for the replay summary. */
  notes(): string[] {
    return Object.entries(this.outOfScope).map(([why, n]) => `API-rate analysis left out ${n} ${why}(s): the deployed rates rule receives management API calls and sign-ins only`);
  }

  /** Bursts are reported as soon as their minute crosses the threshold, so nothing is pending at the end. */
  async flush(): Promise<Finding[]> {
    return [];
  }

  get stats(): RateStats {
    return this.detector.stats;
  }
}

/** Factory the replay registry calls. */
export function createRateProcessor(config?: RateConfig): RateProcessor {
  return new RateProcessor(undefined, config ?? defaultRateConfig());
}
