/**
 * A seeded, benign mid-size AWS organization as CloudTrail logs it, with a few attack chains
 * hidden in it: the measuring stick of `npm run bench -- noise` (docs/noise.md).
 *
 *   npx tsx scripts/gen-org.ts --out DIR [--days 8] [--per-day 180000] [--seed 7]
 *
 * Writes one gzipped JSON Lines file per day (`day-01.jsonl.gz`…, event-time order, records as an
 * organization trail delivers them) and `manifest.json` naming the attack chains (their eventIDs,
 * principal and time). Generated minute by minute and streamed to gzip: memory does not grow with
 * the number of days. Same seed, same bytes.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { rng } from '../test/helpers/rng.ts';

type Rec = Record<string, unknown>;
const MIN = 60_000;
const DAY = 1440;

/** The organization: a management account, production, staging, a preview/dev account and a security account. */
export const ORG = {
  management: '210987654321',
  prod: '222233334444',
  staging: '333344445555',
  dev: '444455556666',
  security: '555566667777',
} as const;
const MEMBERS = [ORG.prod, ORG.staging, ORG.dev] as const;
const ALL_ACCOUNTS = [ORG.management, ORG.prod, ORG.staging, ORG.dev, ORG.security] as const;
/** Datadog's AWS account, as its integration documents it. */
const VENDOR_ACCOUNT = '464622532012';
/** Elastic Load Balancing's log-delivery account for us-east-1 (AWS docs, "Enable access logs"). */
const ELB_ACCOUNT_US_EAST_1 = '127311923021';
const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1'] as const;

export interface AttackChain {
  id: string;
  description: string;
  day: number;
  /** Every eventID the chain produced. */
  eventIds: string[];
  /** The principal (role or user ARN) acting. */
  principal: string;
  startTime: string;
  endTime: string;
}

export interface OrgManifest {
  seed: number;
  days: number;
  perDay: number;
  start: string;
  files: string[];
  events: number;
  accounts: Record<string, string>;
  attacks: AttackChain[];
}

export interface GenerateOptions {
  out: string;
  days?: number;
  /** Management events on a weekday (weekends get about 40%). */
  perDay?: number;
  seed?: number;
  /** First day, 00:00 UTC (a Monday by default). */
  start?: string;
}

class Gen {
  readonly r: () => number;
  private n = 0;
  constructor(seed: number) {
    this.r = rng(seed);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.r() * items.length)] as T;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  /** Poisson draw (normal approximation above 30). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) {
      const u = Math.max(1e-12, this.r());
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.r());
      return Math.max(0, Math.round(lambda + z * Math.sqrt(lambda)));
    }
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k += 1;
      p *= this.r();
    } while (p > l);
    return k - 1;
  }
  hex(len: number): string {
    let s = '';
    for (let i = 0; i < len; i += 1) s += Math.floor(this.r() * 16).toString(16);
    return s;
  }
  uuid(): string {
    this.n += 1;
    const h = this.hex(20);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(12, 15)}-a${h.slice(15, 18)}-${h.slice(18)}${this.n.toString(16).padStart(10, '0')}`;
  }
  /** A temporary (STS) access key id: `ASIA` + 16 base-32 characters, new for every session. */
  tempKey(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let s = 'ASIA';
    for (let i = 0; i < 16; i += 1) s += alphabet[Math.floor(this.r() * 32)];
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Identities, shaped as CloudTrail writes them.
// ---------------------------------------------------------------------------------------------
function roleId(account: string, role: string): string {
  let h = 0;
  for (const c of `${account}${role}`) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `AROA${h.toString(36).toUpperCase().padStart(8, 'X')}EXAMPLE${(h % 97).toString().padStart(2, '0')}`.slice(0, 21);
}

function assumedRole(account: string, role: string, session: string, key: string, t: number, opts: { path?: string; mfa?: boolean; invokedBy?: string; webId?: string } = {}): Rec {
  const id = roleId(account, role);
  return {
    type: 'AssumedRole',
    principalId: `${id}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: id, arn: `arn:aws:iam::${account}:role/${opts.path ?? ''}${role}`, accountId: account, userName: role },
      ...(opts.webId ? { webIdFederationData: { federatedProvider: opts.webId, attributes: {} } } : {}),
      attributes: { creationDate: new Date(t - 30_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), mfaAuthenticated: opts.mfa ? 'true' : 'false' },
    },
    ...(opts.invokedBy ? { invokedBy: opts.invokedBy } : {}),
  };
}

function iamUser(account: string, name: string, key?: string): Rec {
  return { type: 'IAMUser', principalId: `AIDA${name.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(17, 'Q').slice(0, 17)}`, arn: `arn:aws:iam::${account}:user/${name}`, accountId: account, userName: name, ...(key ? { accessKeyId: key } : {}) };
}

interface Call {
  source: string;
  name: string;
  readOnly?: boolean;
  req?: Rec | null;
  resp?: Rec | null;
  errorCode?: string;
  errorMessage?: string;
  extra?: Rec;
  region?: string;
}

interface Actor {
  identity: Rec;
  account: string;
  ip: string;
  ua: string;
  region?: string;
}

function record(g: Gen, t: number, a: Actor, c: Call): Rec {
  return {
    eventVersion: '1.09',
    userIdentity: a.identity,
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: c.source,
    eventName: c.name,
    awsRegion: c.region ?? a.region ?? 'us-east-1',
    sourceIPAddress: a.ip,
    userAgent: a.ua,
    ...(c.errorCode ? { errorCode: c.errorCode, errorMessage: c.errorMessage ?? `User: ${String(a.identity['arn'])} is not authorized to perform: ${c.source.split('.')[0]}:${c.name}` } : {}),
    requestParameters: c.req ?? null,
    responseElements: c.resp ?? null,
    requestID: g.uuid(),
    eventID: g.uuid(),
    readOnly: c.readOnly ?? /^(Get|List|Describe|Head|Lookup|BatchGet|Check)/.test(c.name),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: a.account,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${c.source.split('.')[0]}.${c.region ?? a.region ?? 'us-east-1'}.amazonaws.com` },
    ...(c.extra ?? {}),
  };
}

const READS: ReadonlyArray<readonly [string, string]> = [
  ['ec2.amazonaws.com', 'DescribeInstances'], ['ec2.amazonaws.com', 'DescribeSecurityGroups'], ['ec2.amazonaws.com', 'DescribeSubnets'], ['ec2.amazonaws.com', 'DescribeVpcs'],
  ['ec2.amazonaws.com', 'DescribeRouteTables'], ['ec2.amazonaws.com', 'DescribeNetworkAcls'], ['iam.amazonaws.com', 'GetRole'], ['iam.amazonaws.com', 'ListAttachedRolePolicies'],
  ['iam.amazonaws.com', 'GetPolicy'], ['iam.amazonaws.com', 'GetPolicyVersion'], ['s3.amazonaws.com', 'GetBucketPolicy'], ['s3.amazonaws.com', 'GetBucketAcl'],
  ['s3.amazonaws.com', 'GetBucketVersioning'], ['kms.amazonaws.com', 'DescribeKey'], ['kms.amazonaws.com', 'GetKeyPolicy'], ['lambda.amazonaws.com', 'GetFunction'],
  ['elasticloadbalancing.amazonaws.com', 'DescribeLoadBalancers'], ['elasticloadbalancing.amazonaws.com', 'DescribeTargetGroups'], ['rds.amazonaws.com', 'DescribeDBInstances'],
  ['logs.amazonaws.com', 'DescribeLogGroups'], ['route53.amazonaws.com', 'ListResourceRecordSets'], ['ecr.amazonaws.com', 'DescribeRepositories'], ['sns.amazonaws.com', 'GetTopicAttributes'],
  ['sqs.amazonaws.com', 'GetQueueAttributes'], ['dynamodb.amazonaws.com', 'DescribeTable'], ['cloudformation.amazonaws.com', 'DescribeStacks'],
];
const APP_CALLS: ReadonlyArray<readonly [string, string]> = [
  ['kms.amazonaws.com', 'Decrypt'], ['kms.amazonaws.com', 'GenerateDataKey'], ['secretsmanager.amazonaws.com', 'GetSecretValue'], ['sts.amazonaws.com', 'AssumeRole'],
  ['sqs.amazonaws.com', 'GetQueueUrl'], ['ssm.amazonaws.com', 'GetParameter'], ['dynamodb.amazonaws.com', 'DescribeTable'], ['logs.amazonaws.com', 'CreateLogStream'],
];
const SCANNER_CALLS: ReadonlyArray<readonly [string, string]> = [
  ...READS, ['iam.amazonaws.com', 'GetAccountPasswordPolicy'], ['iam.amazonaws.com', 'GenerateCredentialReport'], ['iam.amazonaws.com', 'GetCredentialReport'],
  ['cloudtrail.amazonaws.com', 'DescribeTrails'], ['cloudtrail.amazonaws.com', 'GetTrailStatus'], ['config.amazonaws.com', 'DescribeConfigurationRecorders'],
  ['guardduty.amazonaws.com', 'ListDetectors'], ['securityhub.amazonaws.com', 'GetEnabledStandards'], ['s3.amazonaws.com', 'GetBucketEncryption'], ['s3.amazonaws.com', 'GetPublicAccessBlock'],
];
const VENDOR_CALLS: ReadonlyArray<readonly [string, string]> = [
  ['cloudwatch.amazonaws.com', 'GetMetricData'], ['cloudwatch.amazonaws.com', 'ListMetrics'], ['ec2.amazonaws.com', 'DescribeInstances'], ['tag.amazonaws.com', 'GetResources'],
  ['rds.amazonaws.com', 'DescribeDBInstances'], ['elasticloadbalancing.amazonaws.com', 'DescribeLoadBalancers'], ['lambda.amazonaws.com', 'ListFunctions20150331'],
];
const CI_CALLS: ReadonlyArray<readonly [string, string]> = [
  ['ecr.amazonaws.com', 'GetAuthorizationToken'], ['ecr.amazonaws.com', 'BatchCheckLayerAvailability'], ['ecr.amazonaws.com', 'InitiateLayerUpload'], ['ecr.amazonaws.com', 'PutImage'],
  ['lambda.amazonaws.com', 'UpdateFunctionCode20150331v2'], ['lambda.amazonaws.com', 'GetFunction'], ['cloudformation.amazonaws.com', 'DescribeStacks'], ['cloudformation.amazonaws.com', 'DescribeStackEvents'],
  ['ecs.amazonaws.com', 'DescribeServices'], ['ecs.amazonaws.com', 'RegisterTaskDefinition'], ['ecs.amazonaws.com', 'UpdateService'], ['sts.amazonaws.com', 'GetCallerIdentity'], ['s3.amazonaws.com', 'ListBuckets'],
];

const UA = {
  terraform: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64',
  cli: 'aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe sid/7bd3 md/prompt#off md/command#ecr.get-login-password',
  sdkJs: 'aws-sdk-js/3.682.0 ua/2.1 os/linux#5.10.226-214.880.amzn2.x86_64 lang/js md/nodejs#20.18.0 api/kms#3.682.0',
  boto: 'Boto3/1.35.44 md/Botocore#1.35.44 ua/2.0 os/linux#5.10.226-214.879.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.44',
  console: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  datadog: 'Datadog/1.0 aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)',
  prowler: 'Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.10 prowler/4.5.0',
  cfn: 'cloudformation.amazonaws.com',
  ct: 'AWS Control Tower',
};

// ---------------------------------------------------------------------------------------------
// The organization's routine, as events per minute.
// ---------------------------------------------------------------------------------------------
interface Out {
  t: number;
  r: Rec;
}

/** Diurnal (office-hours) factor for an epoch minute, weekends lower. */
function diurnal(minute: number, weekday: boolean): number {
  const hour = (minute % DAY) / 60;
  const office = hour >= 7 && hour < 19 ? 1.6 : 0.5;
  return (weekday ? 1 : 0.4) * office;
}

const APP_ROLES: ReadonlyArray<{ account: string; role: string; rate: number; ip: string }> = [
  { account: ORG.prod, role: 'orders-api-task', rate: 22, ip: '10.20.11.34' },
  { account: ORG.prod, role: 'payments-worker', rate: 12, ip: '10.20.12.8' },
  { account: ORG.prod, role: 'reporting-lambda', rate: 6, ip: '34.230.12.77' },
  { account: ORG.prod, role: 'eks-node-group', rate: 9, ip: '10.20.40.12' },
  { account: ORG.staging, role: 'orders-api-task', rate: 8, ip: '10.30.11.9' },
  { account: ORG.staging, role: 'eks-node-group', rate: 4, ip: '10.30.40.2' },
  { account: ORG.dev, role: 'orders-api-task', rate: 4, ip: '10.40.11.5' },
  { account: ORG.security, role: 'log-archive-processor', rate: 5, ip: '10.50.1.20' },
  { account: ORG.management, role: 'billing-exporter', rate: 2, ip: '10.10.1.4' },
];

const SSO_ADMINS = ['maria.silva@example.com', 'chen.wei@example.com', 'olu.adeyemi@example.com', 'jan.novak@example.com'];
const SSO_ROLE = 'AWSReservedSSO_AdministratorAccess_8f2c1a9e4b7d6035';
const SSO_READ_ROLE = 'AWSReservedSSO_ReadOnly_1d9e3b5a7c2f4e60';
const SERVICE_USERS = ['svc-legacy-ftp', 'svc-partner-upload', 'svc-backup-agent'];
const MFA_USERS = ['breakglass-ops', 'finance-reports', 'legacy-admin'];

/** What an IaC apply changes: the routine content the issue lists (plus ordinary writes). */
function routineChanges(g: Gen, account: string, region: string): Call[] {
  const other = g.pick(ALL_ACCOUNTS.filter((a) => a !== account));
  const lbSg = `sg-0${g.hex(16)}`;
  const bucket = `alb-logs-${account}-${region}`;
  const changes: Call[][] = [
    // 443/80 from anywhere re-authorized on a load-balancer group (the bot reconciles it every run).
    [
      { source: 'ec2.amazonaws.com', name: 'RevokeSecurityGroupIngress', req: { groupId: lbSg, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } }, resp: { _return: true } },
      { source: 'ec2.amazonaws.com', name: 'AuthorizeSecurityGroupIngress', req: { groupId: lbSg, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: 'public HTTPS to the ALB' }] } }, { ipProtocol: 'tcp', fromPort: 80, toPort: 80, ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: 'redirect to HTTPS' }] } }] } }, resp: { _return: true, securityGroupRuleSet: { items: [{ groupId: lbSg, isEgress: false, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' }] } } },
    ],
    // The AWS-documented return-traffic entry of a public subnet's NACL.
    [{ source: 'ec2.amazonaws.com', name: 'CreateNetworkAclEntry', req: { networkAclId: `acl-0${g.hex(16)}`, ruleNumber: 140, egress: false, ruleAction: 'allow', aclProtocol: '6', cidrBlock: '0.0.0.0/0', portRange: { from: 1024, to: 65535 } }, resp: { _return: true } }],
    // A private subnet's default route through its NAT gateway.
    [{ source: 'ec2.amazonaws.com', name: 'CreateRoute', req: { routeTableId: `rtb-0${g.hex(16)}`, destinationCidrBlock: '0.0.0.0/0', natGatewayId: `nat-0${g.hex(16)}` }, resp: { _return: true } }],
    // A load-balancer log bucket granting the ELB log-delivery account (and the service principal).
    [{ source: 's3.amazonaws.com', name: 'PutBucketPolicy', req: { bucketName: bucket, host: [`${bucket}.s3.amazonaws.com`], policy: [''], bucketPolicy: { Version: '2012-10-17', Statement: [
      { Sid: 'ELBAccountWrite', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ELB_ACCOUNT_US_EAST_1}:root` }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/AWSLogs/${account}/*` },
      { Sid: 'LogDeliveryWrite', Effect: 'Allow', Principal: { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/AWSLogs/${account}/*` },
    ] } }, resp: null, extra: { additionalEventData: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': g.hex(40), bytesTransferredOut: 0 } } }],
    // A deploy role in this account trusted by the organization's CI/management account.
    [{ source: 'iam.amazonaws.com', name: 'UpdateAssumeRolePolicy', req: { roleName: 'cross-account-deploy', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${other}:root` }, Action: 'sts:AssumeRole' }] }) }, resp: null }],
    // An ECR repository shared with the other accounts of the organization.
    [{ source: 'ecr.amazonaws.com', name: 'SetRepositoryPolicy', req: { repositoryName: 'orders-api', policyText: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'OrgPull', Effect: 'Allow', Principal: { AWS: MEMBERS.filter((a) => a !== account).map((a) => `arn:aws:iam::${a}:root`) }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] }] }) }, resp: { registryId: account, repositoryName: 'orders-api' } }],
    // An AWS managed policy attached to an instance role.
    [{ source: 'iam.amazonaws.com', name: 'AttachRolePolicy', req: { roleName: 'eks-node-group', policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' }, resp: null }],
    // Ordinary writes that no detection should page on.
    [{ source: 'lambda.amazonaws.com', name: 'UpdateFunctionConfiguration20150331v2', req: { functionName: 'orders-notifier', memorySize: 512 }, resp: null }],
    [{ source: 'ssm.amazonaws.com', name: 'PutParameter', req: { name: '/orders/feature-flags', type: 'String', overwrite: true }, resp: { version: g.int(2, 90), tier: 'Standard' } }],
  ];
  const out: Call[] = [];
  const n = g.int(1, 4);
  for (let i = 0; i < n; i += 1) out.push(...g.pick(changes));
  return out.map((c) => ({ ...c, region }));
}

/** Schedules the bursts of one day (IaC, CI, scanner, key rotation…) as minute -> emitters. */
type Emit = (minute: number, out: Out[]) => void;

class Org {
  readonly g: Gen;
  readonly attacks: AttackChain[] = [];
  private readonly scheduled = new Map<number, Emit[]>();

  constructor(
    seed: number,
    readonly startMs: number,
    readonly days: number,
    readonly perDay: number,
  ) {
    this.g = new Gen(seed);
    for (let d = 0; d < days; d += 1) this.planDay(d);
    this.planAttacks();
  }

  private at(minute: number, emit: Emit): void {
    const list = this.scheduled.get(minute);
    if (list) list.push(emit);
    else this.scheduled.set(minute, [emit]);
  }

  private weekday(day: number): boolean {
    const dow = new Date(this.startMs + day * DAY * MIN).getUTCDay();
    return dow !== 0 && dow !== 6;
  }

  /** `n` calls of `calls` by `actor` spread over `minutes` minutes from `minute`. */
  private burst(minute: number, minutes: number, n: number, actor: Actor, calls: ReadonlyArray<readonly [string, string]>, tail: Call[] = [], errorShare = 0): void {
    const g = this.g;
    const perMinute = Math.ceil(n / minutes);
    for (let i = 0; i < minutes; i += 1) {
      this.at(minute + i, (m, out) => {
        for (let k = 0; k < perMinute; k += 1) {
          const [source, name] = g.pick(calls);
          const t = this.startMs + m * MIN + Math.floor(g.r() * MIN);
          const denied = errorShare > 0 && g.r() < errorShare;
          out.push({ t, r: record(g, t, actor, { source, name, ...(denied ? { errorCode: source.startsWith('ec2') ? 'Client.UnauthorizedOperation' : 'AccessDenied' } : {}) }) });
        }
      });
    }
    if (tail.length > 0) {
      this.at(minute + minutes - 1, (m, out) => {
        let t = this.startMs + m * MIN + 50_000;
        for (const c of tail) out.push({ t: (t += 150), r: record(g, t, actor, c) });
      });
    }
  }

  private planDay(day: number): void {
    const g = this.g;
    const base = day * DAY;
    const weekday = this.weekday(day);
    const scale = this.perDay / 180_000;
    const runs = (n: number) => Math.max(1, Math.round(n * scale * (weekday ? 1 : 0.3)));
    const anyMinute = () => base + g.int(0, DAY - 5);
    const officeMinute = () => base + g.int(8 * 60, 18 * 60);

    // Terraform plans (read-only, 400-1500 calls in 1-3 minutes) and applies, any hour, via GitHub OIDC.
    for (let i = 0; i < runs(24); i += 1) {
      const account = g.pick(ALL_ACCOUNTS);
      const t = this.startMs + (base * MIN);
      const actor: Actor = { account, ip: `4.${g.int(148, 155)}.${g.int(0, 255)}.${g.int(1, 254)}`, ua: UA.terraform, identity: assumedRole(account, 'terraform-plan', `GitHubActions-${g.hex(8)}`, g.tempKey(), t, { webId: `token.actions.githubusercontent.com` }) };
      const minutes = g.int(1, 3);
      this.burst(anyMinute(), minutes, g.int(400, 1500), actor, READS);
    }
    for (let i = 0; i < runs(7); i += 1) {
      const account = g.pick(ALL_ACCOUNTS);
      const region = g.pick(REGIONS);
      const actor: Actor = { account, region, ip: `4.${g.int(148, 155)}.${g.int(0, 255)}.${g.int(1, 254)}`, ua: UA.terraform, identity: assumedRole(account, 'terraform-apply', `GitHubActions-${g.hex(8)}`, g.tempKey(), this.startMs, { webId: 'token.actions.githubusercontent.com' }) };
      this.burst(anyMinute(), g.int(2, 4), g.int(300, 1200), actor, READS, routineChanges(g, account, region));
    }
    // The IaC bot (Atlantis on an EC2 instance role): reconciles at any hour, bursty.
    for (let i = 0; i < runs(10); i += 1) {
      const account = g.pick(MEMBERS);
      const actor: Actor = { account, ip: '52.44.18.203', ua: UA.terraform, identity: assumedRole(account, 'iac-bot', `atlantis-${g.hex(6)}`, g.tempKey(), this.startMs) };
      this.burst(anyMinute(), g.int(1, 2), g.int(500, 1400), actor, READS, routineChanges(g, account, 'us-east-1').slice(0, 3));
    }
    // CloudFormation deploys in the staging and dev accounts (CloudFormation acting on a role).
    for (let i = 0; i < runs(6); i += 1) {
      const account = g.pick([ORG.staging, ORG.dev]);
      const actor: Actor = { account, ip: 'cloudformation.amazonaws.com', ua: UA.cfn, identity: assumedRole(account, 'cfn-exec-role', `AWSCloudFormation-${g.hex(8)}`, g.tempKey(), this.startMs, { invokedBy: 'cloudformation.amazonaws.com' }) };
      this.burst(officeMinute(), 1, g.int(20, 80), actor, READS, routineChanges(g, account, 'us-east-1').slice(0, 2));
    }
    // CI jobs (GitHub Actions), each a fresh session and ASIA key: 80-420 calls in one or two minutes.
    for (let i = 0; i < runs(70); i += 1) {
      const account = g.pick(ALL_ACCOUNTS);
      const actor: Actor = { account, ip: `4.${g.int(148, 155)}.${g.int(0, 255)}.${g.int(1, 254)}`, ua: UA.cli, identity: assumedRole(account, 'gha-deploy', `GitHubActions-${g.hex(10)}`, g.tempKey(), this.startMs, { webId: 'token.actions.githubusercontent.com' }) };
      this.burst(g.r() < 0.8 ? officeMinute() : anyMinute(), g.int(1, 2), g.int(80, 420), actor, CI_CALLS);
    }
    // Preview environments torn down in the dev account: stack deleted, its KMS key scheduled for deletion.
    for (let i = 0; i < runs(5); i += 1) {
      const actor: Actor = { account: ORG.dev, ip: `4.${g.int(148, 155)}.${g.int(0, 255)}.${g.int(1, 254)}`, ua: UA.terraform, identity: assumedRole(ORG.dev, 'gha-preview', `GitHubActions-pr-${g.int(1000, 9999)}`, g.tempKey(), this.startMs, { webId: 'token.actions.githubusercontent.com' }) };
      const keyId = `${g.hex(8)}-${g.hex(4)}-${g.hex(4)}-${g.hex(4)}-${g.hex(12)}`;
      this.burst(officeMinute(), 1, g.int(30, 90), actor, READS, [
        { source: 'cloudformation.amazonaws.com', name: 'DeleteStack', req: { stackName: `preview-pr-${g.int(1000, 9999)}` } },
        { source: 'kms.amazonaws.com', name: 'ScheduleKeyDeletion', req: { keyId, pendingWindowInDays: 7 }, resp: { keyId: `arn:aws:kms:us-east-1:${ORG.dev}:key/${keyId}`, deletionDate: 'Jan 8, 2027, 12:00:00 AM', keyState: 'PendingDeletion', pendingWindowInDays: 7 } },
      ]);
    }
    // The daily read-only scanner (Prowler from the security account), 02:00 UTC, every account.
    for (const account of ALL_ACCOUNTS) {
      const actor: Actor = { account, ip: '10.50.8.77', ua: UA.prowler, identity: assumedRole(account, 'SecurityAuditScanner', `prowler-${day}`, g.tempKey(), this.startMs) };
      this.burst(base + 120 + ALL_ACCOUNTS.indexOf(account) * 4, 18, Math.round(2600 * Math.max(scale, 0.2)), actor, SCANNER_CALLS, [], 0.02);
    }
    // Key rotation (a Lambda in the management account) rotates service users' access keys at 04:00.
    {
      const actor: Actor = { account: ORG.management, ip: '3.91.140.2', ua: UA.boto, identity: assumedRole(ORG.management, 'iam-key-rotator', 'iam-key-rotator', g.tempKey(), this.startMs) };
      const user = SERVICE_USERS[day % SERVICE_USERS.length] as string;
      const newKey = `AKIA${g.hex(16).toUpperCase()}`;
      this.burst(base + 240, 1, 12, actor, [['iam.amazonaws.com', 'ListAccessKeys'], ['iam.amazonaws.com', 'GetAccessKeyLastUsed']], [
        { source: 'iam.amazonaws.com', name: 'CreateAccessKey', req: { userName: user }, resp: { accessKey: { userName: user, accessKeyId: newKey, status: 'Active', createDate: 'Dec 1, 2026, 4:00:00 AM' } } },
        { source: 'iam.amazonaws.com', name: 'UpdateAccessKey', req: { userName: user, accessKeyId: `AKIA${g.hex(16).toUpperCase()}`, status: 'Inactive' } },
      ]);
    }
    // Control Tower re-applies its Config baseline in a member account (drift repair).
    if (g.r() < 0.6) {
      const account = g.pick(MEMBERS);
      const actor: Actor = { account, ip: 'controltower.amazonaws.com', ua: UA.ct, identity: assumedRole(account, 'AWSControlTowerExecution', `AWSControlTower-${g.hex(8)}`, g.tempKey(), this.startMs, { invokedBy: 'controltower.amazonaws.com' }) };
      this.burst(base + g.int(300, 400), 1, 10, actor, [['config.amazonaws.com', 'DescribeConfigurationRecorders'], ['config.amazonaws.com', 'DescribeDeliveryChannels']], [
        { source: 'config.amazonaws.com', name: 'PutConfigurationRecorder', req: { configurationRecorder: { name: 'aws-controltower-BaselineConfigRecorder', roleARN: `arn:aws:iam::${account}:role/aws-controltower-ConfigRecorderRole`, recordingGroup: { allSupported: true, includeGlobalResourceTypes: account === ORG.prod } } } },
        { source: 'config.amazonaws.com', name: 'PutDeliveryChannel', req: { deliveryChannel: { name: 'aws-controltower-BaselineConfigDeliveryChannel', s3BucketName: `aws-controltower-logs-${ORG.security}-us-east-1`, s3KeyPrefix: 'o-a1b2c3d4e5' } } },
        { source: 'config.amazonaws.com', name: 'StartConfigurationRecorder', req: { configurationRecorderName: 'aws-controltower-BaselineConfigRecorder' } },
      ]);
    }
    // A user replaces their MFA device: deactivate + delete, then create + enable minutes later.
    if (day % 3 === 1) {
      const user = MFA_USERS[day % MFA_USERS.length] as string;
      const account = ORG.management;
      const actor: Actor = { account, ip: '198.51.100.73', ua: UA.console, identity: iamUser(account, user, g.tempKey()) };
      const serial = `arn:aws:iam::${account}:mfa/${user}`;
      const m = officeMinute();
      this.burst(m, 1, 3, actor, [['iam.amazonaws.com', 'ListMFADevices']], [
        { source: 'iam.amazonaws.com', name: 'DeactivateMFADevice', req: { userName: user, serialNumber: serial } },
        { source: 'iam.amazonaws.com', name: 'DeleteVirtualMFADevice', req: { serialNumber: serial } },
      ]);
      this.burst(m + g.int(2, 8), 1, 2, actor, [['iam.amazonaws.com', 'ListVirtualMFADevices']], [
        { source: 'iam.amazonaws.com', name: 'CreateVirtualMFADevice', req: { virtualMFADeviceName: user, path: '/' }, resp: { virtualMFADevice: { serialNumber: serial } } },
        { source: 'iam.amazonaws.com', name: 'EnableMFADevice', req: { userName: user, serialNumber: serial } },
      ]);
    }
    // SSO admins through IAM Identity Center: sign-in, console federation, a working session.
    if (weekday) {
      for (const admin of SSO_ADMINS) {
        if (g.r() < 0.25) continue;
        const account = g.pick([ORG.prod, ORG.staging, ORG.dev, ORG.management]);
        const m = base + g.int(8 * 60, 16 * 60);
        const ip = `203.0.113.${10 + SSO_ADMINS.indexOf(admin)}`;
        this.at(m, (mm, out) => {
          const t = this.startMs + mm * MIN + 1000;
          out.push({ t, r: record(g, t, { account: ORG.management, ip, ua: UA.console, identity: { type: 'IdentityCenterUser', accountId: ORG.management, onBehalfOf: { userId: `9067${g.hex(6)}-${g.hex(8)}`, identityStoreArn: `arn:aws:identitystore::${ORG.management}:identitystore/d-9067a1b2c3` }, credentialId: g.hex(16) } }, { source: 'signin.amazonaws.com', name: 'CredentialVerification', readOnly: false, extra: { eventType: 'AwsServiceEvent', serviceEventDetails: { CredentialVerification: 'Success', CredentialType: 'PASSWORD' }, additionalEventData: { AuthWorkflowID: g.uuid() } } }) });
          out.push({ t: t + 4000, r: record(g, t + 4000, { account, ip, ua: UA.console, identity: { type: 'Unknown', principalId: admin, accountId: account, userName: admin } }, { source: 'sso.amazonaws.com', name: 'Federate', readOnly: false, req: { roleName: SSO_ROLE.replace(/_[0-9a-f]+$/, ''), accountId: account } }) });
        });
        const role = g.r() < 0.6 ? SSO_ROLE : SSO_READ_ROLE;
        const actor: Actor = { account, ip, ua: UA.console, identity: assumedRole(account, role, admin, g.tempKey(), this.startMs, { path: 'aws-reserved/sso.amazonaws.com/' }) };
        for (let s = 0; s < 6; s += 1) this.burst(m + 1 + s * g.int(5, 20), 1, g.int(5, 40), actor, READS);
      }
    }
    // IAM users signing in with MFA.
    if (weekday) {
      const user = g.pick(MFA_USERS);
      this.at(officeMinute(), (mm, out) => {
        const t = this.startMs + mm * MIN + 5000;
        out.push({ t, r: record(g, t, { account: ORG.management, ip: '198.51.100.73', ua: UA.console, identity: iamUser(ORG.management, user) }, { source: 'signin.amazonaws.com', name: 'ConsoleLogin', readOnly: false, resp: { ConsoleLogin: 'Success' }, extra: { eventType: 'AwsConsoleSignIn', additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAIdentifier: `arn:aws:iam::${ORG.management}:mfa/${user}`, MFAUsed: 'Yes' } } }) });
      });
    }
  }

  /** The attack chains hidden in the benign days. */
  private planAttacks(): void {
    const g = this.g;
    const chain = (id: string, description: string, day: number, minute: number, principal: string, build: (m: number, emit: (t: number, a: Actor, c: Call) => void) => number): void => {
      if (day >= this.days) return;
      const c: AttackChain = { id, description, day: day + 1, eventIds: [], principal, startTime: '', endTime: '' };
      this.attacks.push(c);
      const m0 = day * DAY + minute;
      const minutes = build(m0, () => undefined);
      for (let i = 0; i < minutes; i += 1) {
        this.at(m0 + i, (m, out) => {
          build(m0, (t, a, call) => {
            if (t < this.startMs + m * MIN || t >= this.startMs + (m + 1) * MIN) return;
            const r = record(g, t, a, call);
            c.eventIds.push(String(r['eventID']));
            const iso = String(r['eventTime']);
            if (!c.startTime || iso < c.startTime) c.startTime = iso;
            if (iso > c.endTime) c.endTime = iso;
            out.push({ t, r });
          });
        });
      }
    };
    // 1. A stolen role session probing from a VPS: 300+ AccessDenied a minute for 4 minutes.
    const stolenKey = g.tempKey();
    chain('stolen-role-denied-burst', 'stolen payments-worker session: 300+ AccessDenied/min for 4 minutes from a VPS', 4, 13 * 60 + 17, `arn:aws:iam::${ORG.prod}:role/payments-worker`, (m0, emit) => {
      const actor: Actor = { account: ORG.prod, ip: '45.137.21.9', ua: 'aws-cli/1.29.2 Python/3.8.10 Linux/5.15.0-1034-aws botocore/1.31.2', identity: assumedRole(ORG.prod, 'payments-worker', 'i-0a1b2c3d4e5f67890', stolenKey, this.startMs) };
      const probes: ReadonlyArray<readonly [string, string]> = [['iam.amazonaws.com', 'ListUsers'], ['iam.amazonaws.com', 'ListRoles'], ['s3.amazonaws.com', 'ListBuckets'], ['secretsmanager.amazonaws.com', 'ListSecrets'], ['ec2.amazonaws.com', 'DescribeInstances'], ['organizations.amazonaws.com', 'ListAccounts'], ['kms.amazonaws.com', 'ListKeys']];
      const rand = rng(99);
      for (let i = 0; i < 4 * 330; i += 1) {
        const t = this.startMs + m0 * MIN + Math.floor((i / 330) * MIN);
        const [source, name] = probes[Math.floor(rand() * probes.length)] as readonly [string, string];
        emit(t, actor, { source, name, errorCode: source.startsWith('ec2') ? 'Client.UnauthorizedOperation' : 'AccessDenied' });
      }
      return 4;
    });
    // 2. A new actor (a leaked contractor key) grants itself admin.
    chain('new-actor-grants-admin', 'a contractor user nobody saw before attaches AdministratorAccess to itself', 5, 2 * 60 + 41, `arn:aws:iam::${ORG.prod}:user/contractor-qa`, (m0, emit) => {
      const actor: Actor = { account: ORG.prod, ip: '91.204.14.77', ua: 'aws-cli/2.13.0 Python/3.11.4 Windows/10 exe/AMD64', identity: iamUser(ORG.prod, 'contractor-qa', 'AKIAQ3EGRTL5EXAMPLE7') };
      const t = this.startMs + m0 * MIN;
      emit(t + 2000, actor, { source: 'sts.amazonaws.com', name: 'GetCallerIdentity' });
      emit(t + 9000, actor, { source: 'iam.amazonaws.com', name: 'AttachUserPolicy', req: { userName: 'contractor-qa', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
      emit(t + 30000, actor, { source: 'iam.amazonaws.com', name: 'CreateAccessKey', req: { userName: 'contractor-qa' }, resp: { accessKey: { userName: 'contractor-qa', accessKeyId: 'AKIAQ3EGRTL5EXAMPLE8', status: 'Active' } } });
      return 1;
    });
    // 3. Logging stopped by a hijacked SSO admin session from an unusual network.
    chain('logging-stopped', 'an SSO admin session from an unfamiliar network stops the organization trail', 6, 23 * 60 + 5, `arn:aws:iam::${ORG.management}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`, (m0, emit) => {
      const actor: Actor = { account: ORG.management, ip: '185.156.73.40', ua: UA.console, identity: assumedRole(ORG.management, SSO_ROLE, 'chen.wei@example.com', 'ASIAZ7QEXAMPLESTOP01', this.startMs, { path: 'aws-reserved/sso.amazonaws.com/' }) };
      const t = this.startMs + m0 * MIN;
      emit(t + 1000, actor, { source: 'cloudtrail.amazonaws.com', name: 'DescribeTrails' });
      emit(t + 15000, actor, { source: 'cloudtrail.amazonaws.com', name: 'StopLogging', req: { name: `arn:aws:cloudtrail:us-east-1:${ORG.management}:trail/org-trail` } });
      return 1;
    });
    // 4. A data bucket made public (policy for "*" and the public access block removed).
    chain('public-bucket', 'a bucket of customer exports opened to the world', 3, 16 * 60 + 52, `arn:aws:iam::${ORG.prod}:role/reporting-lambda`, (m0, emit) => {
      const actor: Actor = { account: ORG.prod, ip: '34.230.12.77', ua: UA.boto, identity: assumedRole(ORG.prod, 'reporting-lambda', 'reporting-lambda', 'ASIAZ7QEXAMPLEPUB001', this.startMs) };
      const t = this.startMs + m0 * MIN;
      emit(t + 3000, actor, { source: 's3.amazonaws.com', name: 'DeleteBucketPublicAccessBlock', req: { bucketName: 'customer-exports-prod', host: ['customer-exports-prod.s3.amazonaws.com'], publicAccessBlock: [''] } });
      emit(t + 8000, actor, { source: 's3.amazonaws.com', name: 'PutBucketPolicy', req: { bucketName: 'customer-exports-prod', host: ['customer-exports-prod.s3.amazonaws.com'], policy: [''], bucketPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'share', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::customer-exports-prod/*' }] } } });
      return 1;
    });
    // 5. MFA removed from a real user and not replaced, then SSH opened to the world.
    chain('mfa-removed-ssh-open', 'a user\'s MFA removed (not replaced) and SSH opened to the internet', 2, 19 * 60 + 33, `arn:aws:iam::${ORG.management}:user/legacy-admin`, (m0, emit) => {
      const actor: Actor = { account: ORG.management, ip: '102.129.143.5', ua: 'aws-cli/2.9.0 Python/3.9.11 Linux/5.4.0 exe/x86_64', identity: iamUser(ORG.management, 'legacy-admin', 'AKIAQ3EGRTL5EXAMPLE9') };
      const t = this.startMs + m0 * MIN;
      emit(t + 1000, actor, { source: 'iam.amazonaws.com', name: 'DeactivateMFADevice', req: { userName: 'legacy-admin', serialNumber: `arn:aws:iam::${ORG.management}:mfa/legacy-admin` } });
      emit(t + 40000, actor, { source: 'ec2.amazonaws.com', name: 'AuthorizeSecurityGroupIngress', req: { groupId: 'sg-0bastion00000000', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } } });
      return 1;
    });
  }

  /** Every record of one minute, in event-time order. */
  minute(m: number): Out[] {
    const g = this.g;
    const out: Out[] = [];
    const day = Math.floor(m / DAY);
    const weekday = this.weekday(day);
    const f = diurnal(m, weekday) * (this.perDay / 180_000);
    const t0 = this.startMs + m * MIN;
    for (const a of APP_ROLES) {
      const n = g.poisson(a.rate * 0.75 * f);
      const identity = assumedRole(a.account, a.role, a.role === 'eks-node-group' ? 'i-0c0ffee0c0ffee000' : a.role, `ASIA${a.role.toUpperCase().replace(/[^A-Z]/g, '').padEnd(12, 'X').slice(0, 12)}${(Math.floor(m / 60) % 10000).toString().padStart(4, '0')}`, t0);
      for (let i = 0; i < n; i += 1) {
        const t = t0 + Math.floor(g.r() * MIN);
        const [source, name] = g.pick(APP_CALLS);
        out.push({ t, r: record(g, t, { account: a.account, ip: a.ip, ua: UA.sdkJs, identity }, { source, name }) });
      }
    }
    // AWS services acting through service-linked roles (Config, Auto Scaling, ELB): steady, with
    // the odd AccessDenied a service's own self-probe collects.
    for (const account of ALL_ACCOUNTS) {
      const n = g.poisson(3.5 * (this.perDay / 180_000));
      for (let i = 0; i < n; i += 1) {
        const t = t0 + Math.floor(g.r() * MIN);
        const svc = g.pick(['config', 'autoscaling', 'elasticloadbalancing', 'guardduty'] as const);
        const role = { config: 'AWSServiceRoleForConfig', autoscaling: 'AWSServiceRoleForAutoScaling', elasticloadbalancing: 'AWSServiceRoleForElasticLoadBalancing', guardduty: 'AWSServiceRoleForAmazonGuardDuty' }[svc];
        const identity = assumedRole(account, role, svc === 'config' ? 'AWSConfig-Describe' : svc, `ASIA${svc.toUpperCase().padEnd(16, 'Q').slice(0, 16)}`, t0, { path: `aws-service-role/${svc}.amazonaws.com/`, invokedBy: `${svc}.amazonaws.com` });
        const [source, name] = g.pick(READS);
        const denied = g.r() < 0.08;
        out.push({ t, r: record(g, t, { account, ip: `${svc}.amazonaws.com`, ua: `${svc}.amazonaws.com`, identity }, { source, name, ...(denied ? { errorCode: 'AccessDenied' } : {}) }) });
      }
    }
    // Datadog's integration: AssumeRole with its ExternalId every 10 minutes per account, then polling.
    for (const account of [ORG.prod, ORG.staging]) {
      if (m % 10 === 0) {
        const t = t0 + 500;
        const key = g.tempKey();
        out.push({ t, r: record(g, t, { account, ip: '3.233.144.17', ua: UA.datadog, identity: { type: 'AWSAccount', principalId: `AIDAIJK2UZ4EXAMPLE:${VENDOR_ACCOUNT}`, accountId: VENDOR_ACCOUNT } }, { source: 'sts.amazonaws.com', name: 'AssumeRole', req: { roleArn: `arn:aws:iam::${account}:role/DatadogIntegrationRole`, roleSessionName: `datadog-aws-integration-${m}`, externalId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', durationSeconds: 3600 }, resp: { credentials: { accessKeyId: key, sessionToken: 'redacted', expiration: 'Dec 1, 2026, 1:00:00 PM' }, assumedRoleUser: { assumedRoleId: `${roleId(account, 'DatadogIntegrationRole')}:datadog-aws-integration-${m}`, arn: `arn:aws:sts::${account}:assumed-role/DatadogIntegrationRole/datadog-aws-integration-${m}` } } }) });
      }
      const n = g.poisson(9 * (this.perDay / 180_000));
      const identity = assumedRole(account, 'DatadogIntegrationRole', `datadog-aws-integration-${m - (m % 10)}`, `ASIADATADOG${(m - (m % 10)).toString().padStart(9, '0').slice(-9)}`, t0);
      for (let i = 0; i < n; i += 1) {
        const t = t0 + Math.floor(g.r() * MIN);
        const [source, name] = g.pick(VENDOR_CALLS);
        out.push({ t, r: record(g, t, { account, ip: `3.233.${g.int(144, 151)}.${g.int(1, 254)}`, ua: UA.datadog, identity }, { source, name }) });
      }
    }
    for (const emit of this.scheduled.get(m) ?? []) emit(m, out);
    this.scheduled.delete(m);
    return out.sort((a, b) => a.t - b.t);
  }
}

/** Generates the organization's logs into `out`; returns the manifest (also written as manifest.json). */
export async function generateOrg(options: GenerateOptions): Promise<OrgManifest> {
  const days = options.days ?? 8;
  const perDay = options.perDay ?? 180_000;
  const seed = options.seed ?? 7;
  const start = options.start ?? '2026-11-02T00:00:00Z';
  const startMs = Date.parse(start);
  mkdirSync(options.out, { recursive: true });
  const org = new Org(seed, startMs, days, perDay);
  const files: string[] = [];
  let events = 0;
  for (let d = 0; d < days; d += 1) {
    const name = `day-${String(d + 1).padStart(2, '0')}.jsonl.gz`;
    files.push(name);
    const gzip = createGzip({ level: 4 });
    const file = createWriteStream(join(options.out, name));
    gzip.pipe(file);
    for (let m = d * DAY; m < (d + 1) * DAY; m += 1) {
      const lines = org.minute(m).map((o) => JSON.stringify(o.r));
      events += lines.length;
      if (lines.length > 0 && !gzip.write(`${lines.join('\n')}\n`)) await once(gzip, 'drain');
    }
    gzip.end();
    await once(file, 'close');
  }
  const manifest: OrgManifest = { seed, days, perDay, start, files, events, accounts: { ...ORG }, attacks: org.attacks };
  writeFileSync(join(options.out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = value('--out');
  if (!out || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: tsx scripts/gen-org.ts --out DIR [--days 8] [--per-day 180000] [--seed 7]\n');
    process.exit(out ? 0 : 1);
  }
  const manifest = await generateOrg({ out, days: Number(value('--days') ?? 8), perDay: Number(value('--per-day') ?? 180_000), seed: Number(value('--seed') ?? 7) });
  process.stdout.write(`wrote ${manifest.events} records in ${manifest.files.length} files to ${out} (${manifest.attacks.length} attack chains)\n`);
}
