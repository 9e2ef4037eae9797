/**
 * AWS services whose control plane lives in one region, so CloudTrail logs their calls there
 * (`awsRegion`) whatever region the caller works in. A call to one of them in its home region says
 * nothing about which regions the organisation uses, so `unused-region-activity` never reports it
 * there (it still does in any other region: a regional endpoint of such a service, e.g. STS in an
 * unapproved region, is regional activity).
 *
 * Maintenance: add a service only with the source that says where its events land; list the
 * CloudTrail `eventSource` exactly as records carry it.
 */
export interface GlobalService {
  /** CloudTrail `eventSource`. */
  eventSource: string;
  /** The region its events are logged in. */
  region: string;
  service: string;
  /** Where that is documented. */
  source: string;
}

const CLOUDTRAIL_GLOBAL_EVENTS =
  'AWS CloudTrail User Guide, "CloudTrail concepts" > "Global service events" and "Using update-trail" (since 22 Nov 2021 CloudFront, IAM and STS global-endpoint events are recorded in us-east-1); AWS notice of 2021 on CloudTrail Lookup (CloudFront, IAM, sign-in, STS)';

export const GLOBAL_SERVICES: readonly GlobalService[] = [
  { eventSource: 'iam.amazonaws.com', region: 'us-east-1', service: 'AWS Identity and Access Management', source: CLOUDTRAIL_GLOBAL_EVENTS },
  { eventSource: 'sts.amazonaws.com', region: 'us-east-1', service: 'AWS STS (global endpoint sts.amazonaws.com)', source: CLOUDTRAIL_GLOBAL_EVENTS },
  { eventSource: 'cloudfront.amazonaws.com', region: 'us-east-1', service: 'Amazon CloudFront', source: CLOUDTRAIL_GLOBAL_EVENTS },
  { eventSource: 'signin.amazonaws.com', region: 'us-east-1', service: 'AWS Management Console sign-in', source: CLOUDTRAIL_GLOBAL_EVENTS },
  {
    eventSource: 'route53.amazonaws.com',
    region: 'us-east-1',
    service: 'Amazon Route 53 (hosted zones, records, health checks)',
    source: 'Landing Zone Accelerator CloudTrailSettingsConfig docs: "global services such as IAM, AWS STS, Amazon CloudFront, and Route 53 … are logged as occurring in US East Region"; Route 53 control plane only in us-east-1 (AWS fault isolation boundaries whitepaper)',
  },
  { eventSource: 'route53domains.amazonaws.com', region: 'us-east-1', service: 'Amazon Route 53 Domains', source: 'AWS General Reference, Route 53 Domains endpoints: route53domains.us-east-1.amazonaws.com only' },
  {
    eventSource: 'organizations.amazonaws.com',
    region: 'us-east-1',
    service: 'AWS Organizations',
    source: 'AWS Organizations API Reference, "Endpoint to call": specify us-east-1 for all API and CLI calls from the commercial regions',
  },
  { eventSource: 'account.amazonaws.com', region: 'us-east-1', service: 'AWS Account Management', source: 'AWS Account Management Reference Guide: the account API has its endpoint in us-east-1 (account.us-east-1.amazonaws.com)' },
  {
    eventSource: 'fms.amazonaws.com',
    region: 'us-east-1',
    service: 'AWS Firewall Manager (administration)',
    source: 'Automations for AWS Firewall Manager, "Plan your deployment": Organizations and Firewall Manager use US East (N. Virginia) as their data plane',
  },
  { eventSource: 'shield.amazonaws.com', region: 'us-east-1', service: 'AWS Shield Advanced', source: 'AWS General Reference, AWS Shield endpoints: shield.us-east-1.amazonaws.com (global service)' },
  { eventSource: 'waf.amazonaws.com', region: 'us-east-1', service: 'AWS WAF Classic (global, for CloudFront)', source: 'AWS General Reference, AWS WAF Classic endpoints: waf.amazonaws.com is served from us-east-1' },
  { eventSource: 'health.amazonaws.com', region: 'us-east-1', service: 'AWS Health API', source: 'AWS Health User Guide: the global endpoint health.us-east-1.amazonaws.com' },
  { eventSource: 'support.amazonaws.com', region: 'us-east-1', service: 'AWS Support', source: 'AWS Support API Reference: endpoint support.us-east-1.amazonaws.com' },
  { eventSource: 'trustedadvisor.amazonaws.com', region: 'us-east-1', service: 'AWS Trusted Advisor', source: 'AWS Support User Guide, Trusted Advisor API: endpoint in us-east-1' },
  { eventSource: 'ce.amazonaws.com', region: 'us-east-1', service: 'AWS Cost Explorer', source: 'AWS Billing and Cost Management API Reference: Cost Explorer endpoint ce.us-east-1.amazonaws.com' },
  { eventSource: 'budgets.amazonaws.com', region: 'us-east-1', service: 'AWS Budgets', source: 'AWS General Reference, AWS Budgets endpoints: budgets.amazonaws.com (us-east-1)' },
  { eventSource: 'billingconsole.amazonaws.com', region: 'us-east-1', service: 'AWS Billing console', source: 'AWS Billing User Guide, "Logging Billing and Cost Management API calls with AWS CloudTrail": billing console events are logged in us-east-1' },
  { eventSource: 'cur.amazonaws.com', region: 'us-east-1', service: 'AWS Cost and Usage Reports', source: 'AWS General Reference, AWS Cost and Usage Report endpoints: cur.us-east-1.amazonaws.com' },
  {
    eventSource: 'globalaccelerator.amazonaws.com',
    region: 'us-west-2',
    service: 'AWS Global Accelerator',
    source: 'AWS Global Accelerator Developer Guide, "AWS Region availability": a global service whose API must be called in US West (Oregon), us-west-2',
  },
];

/**
 * Regions where an IAM user's console sign-in through the global endpoint may land (../shared
 * PLATFORM.md "Where events land"; AWS Sign-In User Guide): besides us-east-1, where root sign-in
 * always lands.
 */
export const SIGNIN_REGIONS: readonly string[] = ['us-east-1', 'us-east-2', 'eu-north-1', 'ap-southeast-2'];

const HOME = new Map(GLOBAL_SERVICES.map((s) => [s.eventSource, s]));

/** The global service an event in `region` belongs to, when that region is the service's home (sign-in: any of SIGNIN_REGIONS). */
export function globalServiceAt(eventSource: string, region: string): GlobalService | undefined {
  const s = HOME.get(eventSource);
  if (!s) return undefined;
  if (s.region === region) return s;
  if (eventSource === 'signin.amazonaws.com' && SIGNIN_REGIONS.includes(region)) return s;
  return undefined;
}
