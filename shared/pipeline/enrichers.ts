import { catalog } from '../detections/catalog.ts';
import type { Finding } from '../model/types.ts';
import { createLocalRouter } from '../routing/router.ts';

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
   * The routing step (shared/routing), always last: it must see final severities. In 'lambda' mode
   * the handler passes its router (functions/detect.ts: the packaged tuning file + DynamoDB
   * novelty, `routerFromTuning`); in 'local' mode the default is zero configuration with in-memory
   * novelty. `false` turns routing off (tests of other enrichers).
   */
  routing?: FindingEnricher | false;
}

/** The enrichers each run applies, in order. Each subsystem registers its factory here. */
export async function createEnrichers(options: EnricherOptions): Promise<FindingEnricher[]> {
  // Policy documents behind policy-changed findings (iam:GetPolicyVersion; no call in 'local' mode).
  const enrichers: FindingEnricher[] = [lazyPolicyEnricher(options.mode)];
  // Route (page / digest / summary / record) every finding, last.
  if (options.routing !== false) enrichers.push(options.routing ?? (await defaultRouter(options.mode)));
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

async function defaultRouter(mode: EnricherOptions['mode']): Promise<FindingEnricher> {
  // A deployed router needs the handler's tuning, logger, novelty client and directory: it is the handler's to build.
  if (mode === 'lambda') throw new Error("createEnrichers: 'lambda' mode needs its router (routerFromTuning, shared/routing/deployed.ts)");
  // Ids and routine profiles only: the catalog, not the detections' code (shared/detections/catalog.ts).
  return createLocalRouter({ detections: catalog });
}
