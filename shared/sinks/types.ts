import type { Finding, Route, Severity, Skip } from '../model/types.ts';

/**
 * Where findings go. Implementations: SNS (alerts), EventBridge (findings bus), console/JSON Lines
 * (local replay), memory (tests). Chosen at the edge (handler or CLI), never inside a detection.
 * `publish` must either deliver every finding or throw, so the caller's retry/DLQ path takes over.
 */
export interface FindingSink {
  readonly name: string;
  publish(findings: readonly Finding[]): Promise<void>;
}

/** Counts one invocation (or one replay) produced; flushed as one PutMetricData call at most. */
export interface RunCounts {
  eventsProcessed: number;
  eventsSkipped: number;
  /** Skip reasons with their counts, for the log and the replay summary. */
  skipReasons: Record<string, number>;
  /** Findings per detection id and severity. */
  findings: Array<{ detection: string; severity: Severity; count: number }>;
  /** Detections (or stream processors) that threw on an event: the run went on without them. */
  detectionErrors?: number;
  /** One-line remarks for the summary, e.g. what the rate detector left out to match the deployed rule. */
  notes?: string[];
  /**
   * Input that could not be read (replay only): each lost record (`record`, also counted in
   * `eventsSkipped`) and each file or folder lost in whole or in part (`file`), with its reason.
   */
  unreadable?: UnreadableInput[];
  /** Findings per route (page, digest, summary, record), once routing has run. */
  routes?: Partial<Record<Route, number>>;
  /** Findings a configured suppression matched (routed `record`, still delivered). */
  suppressed?: number;
  /** Findings per account id, when per-account metrics are on (organization mode). */
  byAccount?: Record<string, number>;
}

/** One input replay could not read, named for the summary and the exit code. */
export interface UnreadableInput {
  origin: string;
  reason: string;
  scope: 'record' | 'file';
}

export interface MetricsSink {
  readonly name: string;
  flush(counts: RunCounts): Promise<void>;
}

export type { Finding, Skip };
