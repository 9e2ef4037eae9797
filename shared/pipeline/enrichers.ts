import type { Finding } from '../model/types.ts';
import type { DynamoLike } from '../sinks/transport/apis.ts';

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
  /**
   * The routing step (shared/routing), always last: it must see final severities. Default: in
   * 'lambda' mode the packaged tuning file + DynamoDB novelty; in 'local' mode zero configuration
   * with in-memory novelty. `false` turns routing off (tests of other enrichers).
   */
  routing?: FindingEnricher | false;
  /** Organization members beyond the tuning file, for the default 'lambda' router (the AWS Organizations directory). */
  members?: { has(account: string): boolean; nameOf?(account: string): string | undefined };
  /** The novelty table's client for the default 'lambda' router (the handler's signed-HTTP client); default: one of its own. */
  dynamo?: DynamoLike;
}

/** The enrichers each run applies, in order. Each subsystem registers its factory here. */
export async function createEnrichers(options: EnricherOptions): Promise<FindingEnricher[]> {
  // Policy documents behind policy-changed findings (iam:GetPolicyVersion; no call in 'local' mode).
  const enrichers: FindingEnricher[] = [lazyPolicyEnricher(options.mode)];
  // Route (page / digest / summary / record) every finding, last.
  if (options.routing !== false) enrichers.push(options.routing ?? (await defaultRouter(options.mode, options.members, options.dynamo)));
  return enrichers;
}

/**
 * The policy enricher, imported with the policy engine it judges documents with on the first
 * policy-changed finding only: it returns every other finding unchanged, and the engine is the
 * largest part of the detect bundle (docs/performance.md "Cold start"). A failed import is a broken
 * package, not a bad event: it throws, so the invocation is retried and ends in the on-failure
 * queue instead of alerting with the document unjudged.
 */
function lazyPolicyEnricher(mode: EnricherOptions['mode']): FindingEnricher {
  let loaded: Promise<FindingEnricher> | undefined;
  return {
    name: 'policy-documents',
    async enrich(findings) {
      if (!findings.some((f) => f.detection === 'policy-changed')) return findings;
      loaded ??= import('../policy/enricher.ts').then(({ createPolicyEnricher }) => createPolicyEnricher({ mode }));
      return (await loaded).enrich(findings);
    },
  };
}

async function defaultRouter(mode: EnricherOptions['mode'], members: EnricherOptions['members'], dynamo: DynamoLike | undefined): Promise<FindingEnricher> {
  // Ids and routine profiles only: the catalog, not the detections' code (shared/detections/catalog.ts).
  const { catalog: detections } = await import('../detections/catalog.ts');
  if (mode === 'lambda') {
    const [{ createDeployedRouter }, { createLambdaLogger }] = await Promise.all([import('../routing/deployed.ts'), import('../log.ts')]);
    return createDeployedRouter(process.env, createLambdaLogger(), dynamo, detections, members);
  }
  const { createLocalRouter } = await import('../routing/router.ts');
  return createLocalRouter({ detections });
}
