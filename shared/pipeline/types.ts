import type { DetectionContext } from '../detections/types.ts';
import type { Finding, TrailEvent } from '../model/types.ts';

/**
 * A stateful analysis over a stream of events (e.g. the API-rate anomaly detector): unlike a
 * detection it sees many events and keeps state, so it is fed batches in event-time order and can
 * emit findings at any batch or at the end. The replay CLI and the Lambda handlers drive it the same way.
 */
export interface StreamProcessor {
  readonly name: string;
  /** Consume one batch (already normalised; order within the batch is not guaranteed). */
  process(events: readonly TrailEvent[]): Promise<Finding[]>;
  /** End of input (replay) or end of invocation: emit anything still pending. */
  flush(): Promise<Finding[]>;
  /** Optional one-line remarks for the run summary (e.g. events this processor did not analyse, and why). */
  notes?(): string[];
  /** What the stateless detections may assume while this processor runs (merged into their context). */
  readonly detectionContext?: Partial<DetectionContext>;
  /**
   * The keys of `requestParameters` this processor reads. When every processor of a replay says,
   * the events it holds (reorder window, worker trip) keep only those keys (`compactEvent`): the
   * rest — policy documents, filters, tags — is most of a real record's request. A processor that
   * does not say is given the whole object.
   */
  readonly requestParameters?: readonly string[];
}
