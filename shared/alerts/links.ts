import type { Finding } from '../model/types.ts';
import { LINKABLE_REGION } from '../model/region-name.ts';
import { wellFormed } from './escape.ts';

/**
 * Links an on-call engineer needs: the event, the principal's recent activity, the burst's window,
 * and the affected resource — all to the AWS console. Every URL is built only from parts that pass
 * a strict check (region shape, 12-digit account, an encoded value), so attacker text can never
 * choose the host or break out of the URL; a value that fails the check means no link, not a bad one.
 */

/**
 * `encodeURIComponent` plus the characters it leaves alone that Markdown or mrkdwn could act on
 * (`!'()*~_`), so a name inside one of our URLs can never end the link early or format the text
 * after it; percent-encoded, they mean the same to the console.
 */
export function enc(value: string): string {
  return encodeURIComponent(wellFormed(value)).replace(/[!'()*~_]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeRegion(region: unknown): string | undefined {
  return typeof region === 'string' && LINKABLE_REGION.test(region) ? region : undefined;
}

/** A link we render: our label, our URL. */
export interface AlertLink {
  label: string;
  url: string;
}

/** True for ids Trailwatch makes up (`rate-…` the rate detector, `heartbeat-…` the forwarder check): they are not CloudTrail events. */
export function isSyntheticEventId(id: string): boolean {
  return id.startsWith('rate-') || id.startsWith('heartbeat-');
}

/**
 * `https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>#/events/<eventID>`.
 * Event history is per region, so the link uses the event's own region. Undefined for synthetic ids
 * and for regions or ids that would not make a safe URL.
 */
export function cloudTrailEventUrl(finding: Pick<Finding, 'region' | 'eventId'>, eventId: string = finding.eventId): string | undefined {
  const region = safeRegion(finding.region);
  if (!region || typeof eventId !== 'string' || !eventId || eventId.length > 200 || isSyntheticEventId(eventId)) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${enc(eventId)}`;
}

/** One CloudTrail event-history lookup attribute (the console's filter). */
export type LookupFilter = { key: 'Username' | 'AccessKeyId' | 'EventName' | 'ResourceName'; value: string };

/**
 * Event history filtered by one lookup attribute and a time window:
 * `…/cloudtrailv2/home?region=R#/events?StartTime=…&EndTime=…&Username=…` (the console's own
 * query form; CloudTrail keeps 90 days of management events per region).
 */
export function cloudTrailHistoryUrl(region: string, filter: LookupFilter | undefined, startMs: number, endMs: number): string | undefined {
  const r = safeRegion(region);
  if (!r || !Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) return undefined;
  const params = [`StartTime=${new Date(startMs).toISOString()}`, `EndTime=${new Date(endMs).toISOString()}`];
  if (filter) {
    if (!filter.value || filter.value.length > 256) return undefined;
    params.push(`${filter.key}=${enc(filter.value)}`);
  }
  return `https://${r}.console.aws.amazon.com/cloudtrailv2/home?region=${r}#/events?${params.join('&')}`;
}

/**
 * The lookup attribute that finds this principal's calls: the access key when there is one and it is
 * preferred (it is exactly the credential that acted), else the CloudTrail user name (IAM user name or role session
 * name, the last ARN segment).
 */
export function principalFilter(principal: Finding['principal'], prefer: 'accessKey' | 'user' = 'accessKey'): LookupFilter | undefined {
  if (prefer === 'accessKey' && principal.accessKeyId && /^(AKIA|ASIA)[A-Z0-9]{12,124}$/.test(principal.accessKeyId)) return { key: 'AccessKeyId', value: principal.accessKeyId };
  const arn = principal.arn ?? '';
  const last = arn.split('/').pop();
  const name = arn.endsWith(':root') ? 'root' : last && last !== arn ? last : principal.name;
  return name ? { key: 'Username', value: name } : undefined;
}

const HOUR = 3_600_000;

/** All of the principal's (or access key's) activity from 24 h before the event to 1 h after it. */
export function principalActivityUrl(finding: Finding): string | undefined {
  // Trailwatch's own findings (an expired suppression, a silent forwarder) have no principal in CloudTrail.
  if (finding.principal.type === 'Trailwatch') return undefined;
  const t = Date.parse(finding.time);
  if (Number.isNaN(t)) return undefined;
  return cloudTrailHistoryUrl(finding.region, principalFilter(finding.principal), t - 24 * HOUR, t + HOUR);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** IAM/S3/KMS names and ids that may appear in a console path (anything else gets no link). */
const SAFE_NAME = /^[\w+=,.@:/-]{1,512}$/;

/** The resource a finding is about, as `{type, name}` (policy change target, bucket, trail…). */
export function affectedResource(finding: Finding): { type: string; name: string } | undefined {
  const d = finding.details ?? {};
  const target = asRecord(asRecord(d['change'])?.['target']);
  if (target && typeof target['type'] === 'string') {
    const name = typeof target['name'] === 'string' ? target['name'] : typeof target['arn'] === 'string' ? target['arn'] : undefined;
    if (name) return { type: target['type'], name };
  }
  for (const [key, type] of [
    ['bucket', 's3-bucket'],
    ['trail', 'trail'],
    ['groupId', 'security-group'],
    ['networkAclId', 'network-acl'],
    ['routeTableId', 'route-table'],
    ['vpcId', 'vpc'],
    ['targetUser', 'user'],
    ['userName', 'user'],
  ] as const) {
    const v = d[key];
    if (typeof v === 'string' && v) return { type, name: v };
  }
  return undefined;
}

/** Console link for the affected resource, when its type has a console page we can address. */
export function resourceUrl(finding: Finding): AlertLink | undefined {
  const res = affectedResource(finding);
  const region = safeRegion(finding.region);
  if (!res || !SAFE_NAME.test(res.name)) return undefined;
  const n = enc(res.name);
  const iam = 'https://us-east-1.console.aws.amazon.com/iam/home';
  switch (res.type) {
    case 'user':
      return { label: `IAM user ${res.name}`, url: `${iam}#/users/details/${n}` };
    case 'role':
      return { label: `IAM role ${res.name}`, url: `${iam}#/roles/details/${n}` };
    case 'group':
      return { label: `IAM group ${res.name}`, url: `${iam}#/groups/details/${n}` };
    case 'managed-policy':
      return res.name.startsWith('arn:') ? { label: `policy ${res.name.split('/').pop() ?? res.name}`, url: `${iam}#/policies/details/${n}` } : undefined;
    case 's3-bucket':
      return { label: `bucket ${res.name}`, url: `https://s3.console.aws.amazon.com/s3/buckets/${n}${region ? `?region=${region}` : ''}` };
    case 'trail':
      return region ? { label: `trail ${res.name.split('/').pop() ?? res.name}`, url: `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/trails` } : undefined;
    case 'security-group':
      return region ? { label: `security group ${res.name}`, url: `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#SecurityGroup:groupId=${n}` } : undefined;
    case 'kms-key':
      return region ? { label: `KMS key ${res.name.split('/').pop() ?? res.name}`, url: `https://${region}.console.aws.amazon.com/kms/home?region=${region}#/kms/keys/${enc(res.name.split('/').pop() ?? res.name)}` } : undefined;
    default:
      return undefined;
  }
}
