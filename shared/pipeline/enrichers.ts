import type { Finding } from '../model/types.ts';

/**
 * Enrichment that needs I/O a pure detection may not do — e.g. fetching a customer-managed policy's
 * default version with iam:GetPolicyVersion to judge an Attach*Policy. Runs in the handler (and in
 * replay, where `mode` is 'local' and no AWS call is made) after detections, before sinks.
 * An enricher must never throw: on failure it returns the findings unchanged and notes why in
 * `details`.
 */
export interface FindingEnricher {
  readonly name: string;
  enrich(findings: Finding[]): Promise<Finding[]>;
}

export interface EnricherOptions {
  /** 'lambda' may call AWS (credentials from the execution role); 'local' must not. */
  mode: 'lambda' | 'local';
}

/** The enrichers each run applies, in order. Each subsystem registers its factory here. */
export async function createEnrichers(options: EnricherOptions): Promise<FindingEnricher[]> {
  // Policy documents behind policy-changed findings (iam:GetPolicyVersion; no call in 'local' mode).
  const { createPolicyEnricher } = await import('../policy/enricher.ts');
  return [createPolicyEnricher({ mode: options.mode })];
}
