import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Finding } from '../../shared/model/types.ts';
import { detections } from '../../shared/detections/index.ts';
import { knownDetectionIds } from '../../shared/routing/deployed.ts';
import { parseTuning } from '../../shared/tuning/load.ts';
import { EXTERNAL_DIR, hasExternal, ROOT } from '../helpers/events.ts';

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), 'replay', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const lines = (stdout: string): Finding[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Finding);
const pagesPerDay = (text: string): number => Number(/pages\/day ([\d.]+)/.exec(text)?.[1] ?? Number.NaN);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tw-tuning-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('trailwatch replay: route on every finding and the back-test summary', () => {
  let zero: Awaited<ReturnType<typeof cli>>;
  let tuned: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    [zero, tuned] = await Promise.all([cli(['events/', '--format', 'json']), cli(['events/', '--format', 'json', '--config', 'docs/tuning-example.yaml'])]);
  }, 120_000);

  it('every JSON finding carries route and a one-line routeReason', () => {
    expect(zero.code).toBe(0);
    const findings = lines(zero.stdout);
    expect(findings.length).toBeGreaterThan(50);
    for (const f of findings) {
      expect(ROUTES).toContain(f.route);
      expect(f.routeReason).toMatch(/→ (page|digest|summary|record)$/);
      expect(f.routeReason).not.toContain('\n');
    }
  });

  it('ends with pages/day, Slack messages/day and the top noise sources by detection and principal (stderr in JSON mode)', () => {
    expect(zero.stderr).toMatch(/pages\/day [\d.]+, Slack messages\/day [\d.]+/);
    expect(zero.stderr).toMatch(/top noise by detection:\n\s+\d+ alerts\s+\d+ pages {2}[a-z-]+/);
    expect(zero.stderr).toMatch(/top noise by principal:\n\s+\d+ alerts\s+\d+ pages {2}arn:aws:/);
    expect(zero.stdout).not.toContain('back-test');
  });

  it('docs/tuning.md shows the back-test of the samples with the example configuration as the CLI prints it', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'tuning.md'), 'utf8');
    const block = /```\n(back-test \(what this replay[^`]*?)\n {2}…\n```/.exec(doc)?.[1];
    expect(block?.split('\n').length).toBeGreaterThan(10);
    expect(tuned.stderr).toContain(`${block}\n`);
  });

  it('--config routes by the file: turned-off detections and org trust are recorded, fewer pages', () => {
    expect(tuned.code).toBe(0);
    const findings = lines(tuned.stdout);
    // The file's approvedRegions switch unused-region-activity on; every other detection finds the same.
    const others = findings.filter((f) => f.detection !== 'unused-region-activity');
    expect(others.length).toBe(lines(zero.stdout).length);
    expect(lines(zero.stdout).filter((f) => f.detection === 'unused-region-activity')).toEqual([]);
    const gateways = findings.filter((f) => f.detection === 'network-gateway-changes');
    expect(gateways.length).toBeGreaterThan(0);
    expect(gateways.every((f) => f.route === 'record' && f.routeReason?.includes('detection turned off'))).toBe(true);
    const failures = findings.filter((f) => f.detection === 'console-auth-failures');
    expect(failures.every((f) => f.severity === 'info' && f.route === 'record')).toBe(true);
    const pagesZero = lines(zero.stdout).filter((f) => f.route === 'page').length;
    // Routing lowers the same findings; the new approved-region findings are counted apart.
    const pagesTuned = others.filter((f) => f.route === 'page').length;
    expect(pagesTuned).toBeLessThanOrEqual(pagesZero);
    expect(others.filter((f) => f.route !== 'record').length).toBeLessThan(lines(zero.stdout).filter((f) => f.route !== 'record').length);
  });

  it('--config approvedRegions: unused-region-activity fires on its positives and on nothing approved, exempt or read-only', () => {
    const regional = lines(tuned.stdout).filter((f) => f.detection === 'unused-region-activity');
    const ids = (dir: string, prefix: string) =>
      readdirSync(join(ROOT, 'events', dir))
        .filter((f) => f.startsWith(prefix))
        .map((f) => (JSON.parse(readFileSync(join(ROOT, 'events', dir, f), 'utf8')) as { detail: { eventID: string } }).detail.eventID);
    const fired = new Set(regional.map((f) => f.eventId));
    for (const id of ids('unused-region-activity', 'positive-')) expect(fired.has(id), id).toBe(true);
    for (const id of ids('unused-region-activity', 'negative-')) expect(fired.has(id), id).toBe(false);
    // Every finding is outside the list that applies to its account.
    for (const f of regional) expect(f.account === '333344445555' ? ['eu-west-1'] : ['us-east-1', 'us-west-2', 'eu-west-1'], f.title).not.toContain(f.region);
    const launch = regional.find((f) => f.eventName === 'RunInstances' && f.region === 'sa-east-1');
    expect(launch).toMatchObject({ severity: 'high', route: 'page' });
  });

  it('--config organization.accounts: a member is not foreign and is named (escaped) in the terminal, as the Lambda decides', async () => {
    const sample = 'events/policy-changed/positive-update-trust-foreign.json';
    const withOrg = join(tmp, 'org.yaml');
    // The name carries a terminal escape sequence: account owners set names, so it is data.
    writeFileSync(withOrg, "version: 1\norganization:\n  accounts:\n    - { id: '444455556666', name: \"payments\\e[31m-prod\" }\n    - { id: '111122223333', name: \"owner\\e]0;x\\a-acct\" }\n");
    const [bare, known] = await Promise.all([cli([sample, '--format', 'json']), cli([sample, '--config', withOrg])]);
    expect(lines(bare.stdout).map((f) => f.title).join('\n')).toMatch(/grants access to other account\(s\): 444455556666/);
    expect(known.code).toBe(0);
    expect(known.stdout).not.toMatch(/other account/);
    expect(known.stdout).toMatch(/111122223333 \(owner.*-acct\)\/us-east-1/);
    expect(known.stdout).not.toContain('\u001b');
    expect(known.stdout).not.toContain('\u0007');
  });

  it('an invalid --config is a usage error with file:line:col, before anything is replayed', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'version: 1\ndeployers:\n  - name: x\n');
    const run = await cli(['events/root-signin', '--config', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${bad}:3:5: deployers.0: missing required field "principals"`);
    expect(run.stdout).toBe('');
  });
});

/** A small benign history: a Terraform role deploying on two days, a nightly scanner, a vendor assuming a role. */
function history(): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  let n = 0;
  const role = (name: string, account = '111122223333') => ({
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${name.length}:s`,
    arn: `arn:aws:sts::${account}:assumed-role/${name}/session-${n}`,
    accountId: account,
    accessKeyId: `ASIAEXAMPLE${String(n).padStart(9, '0')}`,
    sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${name}`, accountId: account, userName: name }, attributes: { mfaAuthenticated: 'false' } },
  });
  const rec = (time: string, who: Record<string, unknown>, eventName: string, readOnly: boolean, ip: string, ua: string, extra: Record<string, unknown> = {}) => {
    n += 1;
    records.push({ eventVersion: '1.09', eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, eventTime: time, eventSource: eventName === 'AssumeRole' ? 'sts.amazonaws.com' : 'ec2.amazonaws.com', eventName, awsRegion: 'us-east-1', sourceIPAddress: ip, userAgent: ua, userIdentity: who, readOnly, eventType: 'AwsApiCall', managementEvent: true, eventCategory: 'Management', recipientAccountId: '111122223333', requestParameters: {}, responseElements: null, ...extra });
  };
  const tf = 'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 aws-sdk-go-v2/1.25.3';
  for (const day of ['2026-11-02', '2026-11-03']) {
    for (let i = 0; i < 30; i++) rec(`${day}T10:${String(i).padStart(2, '0')}:00Z`, role('terraform-apply'), 'CreateTags', false, `203.0.113.${10 + (i % 5)}`, tf);
    for (let i = 0; i < 300; i++) rec(`${day}T02:${String(i % 60).padStart(2, '0')}:${String(i % 59).padStart(2, '0')}Z`, role('cspm-readonly'), 'DescribeInstances', true, '198.51.100.20', 'Boto3/1.34.69 md/Botocore#1.34.69');
  }
  rec('2026-11-03T12:00:00Z', { type: 'AWSAccount', principalId: 'AIDAEXAMPLEVENDOR', accountId: '464622532012' }, 'AssumeRole', false, '52.1.2.3', 'aws-sdk-go/1.44', {
    requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/monitoring-integration', roleSessionName: 'vendor', externalId: 'acme-4f0c2e9a' },
  });
  return records;
}

describe('trailwatch replay --suggest', () => {
  it('drafts deployers (with their networks), scanners and vendors from the history, as a valid tuning file', async () => {
    const file = join(tmp, 'history.json');
    writeFileSync(file, JSON.stringify({ Records: history() }));
    const run = await cli([file, '--suggest', '--no-rates', '--quiet']);
    expect(run.code).toBe(0);
    const draft = run.stdout.slice(run.stdout.indexOf('# Draft'));
    expect(draft).toMatch(/REVIEW EVERY ENTRY/);
    const config = parseTuning(draft, 'draft.yaml', { knownDetections: knownDetectionIds(detections) }).config;
    expect(config.deployers).toEqual([{ name: 'terraform-apply', principals: ['arn:aws:iam::111122223333:role/terraform-apply'], networks: ['203.0.113.0/24'] }]);
    expect(config.scanners?.map((s) => s.principals[0])).toEqual(['arn:aws:iam::111122223333:role/cspm-readonly']);
    expect(config.vendors).toEqual([{ name: 'vendor-464622532012', account: '464622532012', externalId: 'acme-4f0c2e9a' }]);
    expect(config.organization?.accounts?.map((a) => a.id)).toEqual(['111122223333']);
    // The regions the history writes in (Terraform's CreateTags; the vendor's AssumeRole is STS in its home region).
    expect(config.approvedRegions).toEqual({ regions: ['us-east-1'] });
  });
});

describe.skipIf(!hasExternal('invictus'))('back-test on the Invictus log set', () => {
  it('reports pages/day and the noise sources; declaring the simulation roles as deployers cannot hide what is dangerous in itself', async () => {
    const dir = join(EXTERNAL_DIR, 'invictus');
    const zero = await cli([dir, '--format', 'json']);
    expect(zero.code).toBe(0);
    const findings = lines(zero.stdout);
    expect(findings.every((f) => f.route !== undefined)).toBe(true);
    expect(pagesPerDay(zero.stderr)).toBeGreaterThan(0);
    const config = join(tmp, 'invictus.yaml');
    writeFileSync(config, "version: 1\ndeployers:\n  - name: everyone\n    principals: ['arn:aws:iam::*:*']\n");
    const tuned = await cli([dir, '--format', 'json', '--config', config]);
    const tunedFindings = lines(tuned.stdout);
    // Trail tampering (learnable: false) routes exactly as without the declaration: declaring
    // everyone a deployer demotes routine changes but cannot hide StopLogging / DeleteTrail.
    const routesOf = (fs: Finding[]) => fs.filter((f) => f.detection === 'trail-tampering').map((f) => `${f.eventId} ${f.route}`);
    expect(routesOf(tunedFindings).length).toBeGreaterThan(5);
    expect(routesOf(tunedFindings)).toEqual(routesOf(findings));
    expect(tunedFindings.filter((f) => f.detection === 'trail-tampering' && f.eventName === 'DeleteTrail').some((f) => f.route === 'page')).toBe(true);
    // …while routine, learnable changes by a declared deployer do drop.
    expect(tunedFindings.some((f) => f.routeReason?.includes('declared deployer everyone'))).toBe(true);
    expect(pagesPerDay(tuned.stderr)).toBeLessThanOrEqual(pagesPerDay(zero.stderr));
  });
});
