import type { Finding } from '../model/types.ts';
import type { FindingSink, MetricsSink, RunCounts } from './types.ts';

/** Keeps findings in memory: for tests and for callers that post-process findings themselves. */
export class MemorySink implements FindingSink {
  readonly findings: Finding[] = [];
  /** When set, `publish` throws this error instead of storing (to test the failure path). */
  failWith: Error | undefined;

  constructor(readonly name = 'memory') {}

  async publish(findings: readonly Finding[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.findings.push(...findings);
  }
}

/** Keeps every flushed RunCounts in memory. */
export class MemoryMetricsSink implements MetricsSink {
  readonly name = 'memory-metrics';
  readonly flushed: RunCounts[] = [];

  async flush(counts: RunCounts): Promise<void> {
    this.flushed.push(counts);
  }
}
