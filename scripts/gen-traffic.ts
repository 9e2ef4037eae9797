/**
 * Generates `events/traffic/traffic.jsonl`: realistic CloudTrail records (one per line, event-time
 * order) for replaying the API-rate detector — three hours of steady background from five
 * principals, then one incident: an IAM user's access key, used from an unfamiliar IP, enumerating
 * the account (a recon burst) and hitting a wall of AccessDenied. Seeded: same file every run.
 *
 *   npx tsx scripts/gen-traffic.ts [out.jsonl]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../test/helpers/rng.ts';

const ACCOUNT = '111122223333';
const START = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;

const random = rng(4);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
let counter = 0;
const uuid = (): string => {
  counter += 1;
  const hex = Array.from({ length: 20 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 18)}-${hex.slice(18)}${String(counter).padStart(10, '0')}`;
};

interface Actor {
  identity: () => Record<string, unknown>;
  perMinute: number;
  ip: string;
  agent: string;
  calls: ReadonlyArray<readonly [string, string]>;
}

const user = (name: string, key: string) => () => ({ type: 'IAMUser', principalId: `AIDA${name.toUpperCase().padEnd(17, 'X')}`, arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT, accessKeyId: key, userName: name });
const role = (name: string, session: string) => () => {
  const s = `${session}-${Math.floor(random() * 4)}`;
  return {
    type: 'AssumedRole', principalId: `AROA${name.toUpperCase().slice(0, 12).padEnd(17, 'X')}:${s}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${s}`, accountId: ACCOUNT,
    accessKeyId: `ASIA${s.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(16, 'Q').slice(0, 16)}`,
    sessionContext: { sessionIssuer: { type: 'Role', principalId: `AROA${name.toUpperCase().slice(0, 12).padEnd(17, 'X')}`, arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, accountId: ACCOUNT, userName: name }, attributes: { creationDate: new Date(START).toISOString(), mfaAuthenticated: 'false' } },
  };
};

const ACTORS: Actor[] = [
  { identity: user('deploy-bot', 'AKIAEXAMPLEDEPLOY001'), perMinute: 0.8, ip: '198.51.100.20', agent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64', calls: [['cloudformation.amazonaws.com', 'DescribeStacks'], ['s3.amazonaws.com', 'ListBuckets'], ['sts.amazonaws.com', 'GetCallerIdentity']] },
  { identity: user('alice', 'AKIAEXAMPLEALICE0001'), perMinute: 0.5, ip: '203.0.113.10', agent: 'aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0', calls: [['ec2.amazonaws.com', 'DescribeInstances'], ['logs.amazonaws.com', 'DescribeLogGroups'], ['lambda.amazonaws.com', 'ListFunctions']] },
  { identity: role('app-backend', 'i-0abc'), perMinute: 2, ip: '10.0.12.7', agent: 'aws-sdk-js/3.600.0', calls: [['kms.amazonaws.com', 'Decrypt'], ['secretsmanager.amazonaws.com', 'GetSecretValue'], ['sqs.amazonaws.com', 'GetQueueAttributes']] },
  { identity: role('monitoring-reader', 'datadog'), perMinute: 1.2, ip: '3.233.146.20', agent: 'Datadog', calls: [['ec2.amazonaws.com', 'DescribeInstances'], ['cloudwatch.amazonaws.com', 'ListMetrics'], ['rds.amazonaws.com', 'DescribeDBInstances']] },
];

function recordFor(time: number, identity: Record<string, unknown>, ip: string, agent: string, [source, name]: readonly [string, string], errorCode?: string): Record<string, unknown> {
  return {
    eventVersion: '1.09', userIdentity: identity, eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'), eventSource: source, eventName: name, awsRegion: 'us-east-1',
    sourceIPAddress: ip, userAgent: agent,
    ...(errorCode ? { errorCode, errorMessage: `User: ${String(identity['arn'])} is not authorized to perform: ${source.split('.')[0]}:${name}` } : {}),
    requestParameters: null, responseElements: null, eventID: uuid(), readOnly: true, eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: ACCOUNT, eventCategory: 'Management',
  };
}

/** All records, in event-time order. */
export function generateTraffic(): Array<Record<string, unknown>> {
  const out: Array<{ t: number; r: Record<string, unknown> }> = [];
  for (let m = 0; m < 195; m += 1) {
    for (const a of ACTORS) {
      let n = 0;
      for (let p = random(); p < a.perMinute; p += random()) n += 1;
      for (let i = 0; i < n; i += 1) {
        const t = START + m * MIN + Math.floor(random() * MIN);
        out.push({ t, r: recordFor(t, a.identity(), a.ip, a.agent, pick(a.calls)) });
      }
    }
  }
  // The incident: alice's key from an unfamiliar IP, 3 minutes of enumeration then denied probing.
  const recon: Array<readonly [string, string]> = [['iam.amazonaws.com', 'ListUsers'], ['iam.amazonaws.com', 'ListRoles'], ['iam.amazonaws.com', 'ListPolicies'], ['s3.amazonaws.com', 'ListBuckets'], ['ec2.amazonaws.com', 'DescribeInstances'], ['ec2.amazonaws.com', 'DescribeSecurityGroups'], ['secretsmanager.amazonaws.com', 'ListSecrets'], ['lambda.amazonaws.com', 'ListFunctions']];
  const burstStart = START + 180 * MIN;
  const alice = (ACTORS[1] as Actor).identity;
  for (let i = 0; i < 360; i += 1) {
    const t = burstStart + Math.floor((i / 360) * 3 * MIN);
    out.push({ t, r: recordFor(t, alice(), '185.220.101.45', 'aws-cli/1.18.69 Python/2.7.18 Linux/4.14 botocore/1.17.12', pick(recon)) });
  }
  const denied: Array<readonly [string, string]> = [['iam.amazonaws.com', 'GetAccountAuthorizationDetails'], ['organizations.amazonaws.com', 'ListAccounts'], ['ec2.amazonaws.com', 'GetPasswordData'], ['kms.amazonaws.com', 'ListKeys']];
  for (let i = 0; i < 45; i += 1) {
    const t = burstStart + 3 * MIN + Math.floor((i / 45) * MIN);
    const call = pick(denied);
    out.push({ t, r: recordFor(t, alice(), '185.220.101.45', 'aws-cli/1.18.69 Python/2.7.18 Linux/4.14 botocore/1.17.12', call, call[0].startsWith('ec2') ? 'Client.UnauthorizedOperation' : 'AccessDenied') });
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.r);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const arg = process.argv[2];
  if (arg?.startsWith('-')) {
    process.stdout.write('usage: tsx scripts/gen-traffic.ts [output.jsonl]   (default: events/traffic/traffic.jsonl)\n');
    process.exit(arg === '--help' || arg === '-h' ? 0 : 1);
  }
  const target = arg ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'events', 'traffic', 'traffic.jsonl');
  mkdirSync(dirname(target), { recursive: true });
  const records = generateTraffic();
  writeFileSync(target, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  process.stdout.write(`wrote ${records.length} records to ${target}\n`);
}
