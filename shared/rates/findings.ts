import type { DetectionReferences, Finding, Severity } from '../model/types.ts';
import { top, type MinuteAggregate } from './aggregate.ts';
import type { BurstDecision, BurstFacts } from './bursts.ts';
import type { DimensionThresholds } from './config.ts';
import type { RateKey } from './keys.ts';
import type { Evaluation } from './model.ts';

interface RateDetectionMeta {
  id: string;
  runbook: string;
  references: DetectionReferences;
}

export const API_RATE_ANOMALY: RateDetectionMeta = {
  id: 'api-rate-anomaly',
  runbook:
    'Ask the owner of the principal (or access key) whether this volume is expected. If not: disable or rotate the access key / revoke the role sessions, then review what was read or changed in the burst (top event names below) and from where (source IPs).',
  references: {
    mitre: ['T1580', 'T1526', 'T1087.004', 'T1530', 'T1078.004'],
    urls: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html'],
  },
};

export const API_ERROR_RATE_ANOMALY: RateDetectionMeta = {
  id: 'api-error-rate-anomaly',
  runbook:
    'A burst of AccessDenied / UnauthorizedOperation usually means someone is probing what a credential may do, or a deployment lost permissions. Check the top denied actions and source IPs; if the caller is not a known broken workload, treat the credential as compromised.',
  references: {
    cis: ['CIS 3.1 (v1.2): unauthorized API calls metric filter and alarm', 'CIS 4.1 (v1.4+): unauthorized API calls metric filter and alarm'],
    securityHub: ['CloudWatch.2'],
    mitre: ['T1580', 'T1069.003', 'T1078.004'],
  },
};

/** Errors in one burst that make it high however they are spread (e.g. 4 minutes of 80). */
export const HIGH_BURST_ERRORS = 300;
/** Anomalous minutes after which a principal's burst is high: a quarter of an hour of it is no blip. */
export const HIGH_BURST_MINUTES = 15;

/**
 * Severity of a burst as a whole, as it stands: errors are high from 100 a minute or
 * `HIGH_BURST_ERRORS` in the burst; a principal or key is high at 50x a learned mean when the minute
 * is also at least the never-seen threshold (`newKeyCount`: for a nearly idle key any handful of
 * calls is "50x", which says nothing), or after `HIGH_BURST_MINUTES` anomalous minutes; API-wide
 * volume is low.
 */
export function burstSeverity(key: RateKey, ev: Evaluation, burst: BurstFacts, t: DimensionThresholds): Severity {
  if (key.dimension === 'errors') return burst.peak >= 100 || burst.total >= HIGH_BURST_ERRORS ? 'high' : 'medium';
  if (key.dimension === 'api') return 'low';
  const ratio = ev.expected > 0 ? ev.observed / ev.expected : Infinity;
  return (ev.basis === 'learned' && ratio >= 50 && ev.observed >= t.newKeyCount) || burst.minutes >= HIGH_BURST_MINUTES ? 'high' : 'medium';
}

const DIMENSION_LABEL = { principal: 'Principal', accessKey: 'Access key', api: 'API', errors: 'Principal' } as const;

/** Builds the one finding of a burst (or of its marked growth). */
export function burstFinding(key: RateKey, minute: number, agg: MinuteAggregate, ev: Evaluation, decision: BurstDecision): Finding {
  const meta = key.dimension === 'errors' ? API_ERROR_RATE_ANOMALY : API_RATE_ANOMALY;
  const e = agg.firstEvent;
  const p = e.principal;
  const principal: Finding['principal'] = key.dimension === 'api' ? { type: 'Multiple', name: top(agg.principals, 1)[0]?.value ?? 'unknown' } : { type: p.type, name: p.name };
  if (key.dimension !== 'api') {
    if (p.arn) principal.arn = p.arn;
    if (p.accessKeyId) principal.accessKeyId = p.accessKeyId;
    if (p.sessionIssuer?.arn) principal.sessionIssuerArn = p.sessionIssuer.arn;
  }
  const topNames = top(agg.names, 5);
  const [source, name] = (topNames[0]?.value ?? `${e.source}:${e.name}`).split(':');
  const what = key.dimension === 'errors' ? 'AccessDenied/UnauthorizedOperation errors' : 'API calls';
  const basis = ev.basis === 'new' ? 'never seen before' : `normal ≈ ${ev.expected.toFixed(1)}/min`;
  const growth =
    decision.reason === 'grew' || decision.reason === 'escalated'
      ? ` — burst ${decision.reason === 'grew' ? 'grew' : `now ${decision.severity}`}: ${decision.facts.total} in ${decision.facts.minutes} minute${decision.facts.minutes === 1 ? '' : 's'}`
      : '';
  const title = `${DIMENSION_LABEL[key.dimension]} ${key.subject} made ${ev.observed} ${what} in one minute in ${key.account} (${basis})${growth}`;
  const finding: Finding = {
    detection: meta.id,
    severity: decision.severity,
    title,
    eventId: decision.next.alerts > 1 ? `${decision.next.id}-${decision.next.alerts}` : decision.next.id,
    eventName: name ?? e.name,
    eventSource: source ?? e.source,
    time: new Date(agg.firstMs).toISOString(),
    account: key.account,
    region: top(agg.regions, 1)[0]?.value ?? e.region,
    principal,
    details: {
      dimension: key.dimension,
      key: key.subject,
      burstId: decision.next.id,
      reason: decision.reason,
      windowStart: new Date(minute * 60_000).toISOString(),
      windowMinutes: 1,
      observed: ev.observed,
      burst: { minutes: decision.facts.minutes, total: decision.facts.total, peakPerMinute: decision.facts.peak, alerts: decision.next.alerts },
      baseline: { basis: ev.basis, expectedPerMinute: round(ev.expected), stdDev: round(ev.stdDev), peakPerMinute: round(ev.peak), historyMinutes: ev.historyMinutes },
      score: round(ev.score),
      topEventNames: topNames,
      topSourceIps: top(agg.sourceIps, 5),
      ...(key.dimension === 'api' ? { topPrincipals: top(agg.principals, 5) } : {}),
      firstEventTime: new Date(agg.firstMs).toISOString(),
      lastEventTime: new Date(agg.lastMs).toISOString(),
      firstEventId: e.id,
      sampledFromThisBatch: agg.count,
    },
    runbook: meta.runbook,
    references: meta.references,
  };
  if (e.sourceIp && key.dimension !== 'api') finding.sourceIp = top(agg.sourceIps, 1)[0]?.value ?? e.sourceIp;
  if (e.userAgent && key.dimension !== 'api') finding.userAgent = e.userAgent;
  return finding;
}

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : n;
}
