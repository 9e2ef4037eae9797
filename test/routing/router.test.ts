import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { countRun } from '../../shared/pipeline/run-detections.ts';
import { createLocalRouter, SUPPRESSION_EXPIRED } from '../../shared/routing/router.ts';
import { knownDetectionIds } from '../../shared/routing/deployed.ts';
import { loadTuningFile, parseTuning } from '../../shared/tuning/load.ts';
import type { TuningConfig } from '../../shared/tuning/types.ts';
import { ROOT } from '../helpers/events.ts';
import { asRole, oneFinding, sampleFindings } from './helpers.ts';

const example = loadTuningFile(join(ROOT, 'docs/tuning-example.yaml'), { knownDetections: knownDetectionIds(detections) }).config;
const tuning = (text: string): TuningConfig => parseTuning(`version: 1\n${text}`, 't.yaml', { knownDetections: knownDetectionIds(detections) }).config;

/** Routes findings in order through one router (its novelty model learns as it goes). */
async function route(findings: Finding[], config?: TuningConfig, novelty = true): Promise<Finding[]> {
  const router = await createLocalRouter({ detections, novelty, ...(config ? { tuning: config } : {}) });
  return router.enrich(findings);
}

/** The sample's trust names 444455556666 (an organization account in the example): make it a stranger's. */
function foreignTrust(detail: Record<string, unknown>): void {
  const params = detail['requestParameters'] as Record<string, unknown> | undefined;
  if (typeof params?.['policyDocument'] === 'string') params['policyDocument'] = params['policyDocument'].replace(/444455556666/g, '777788889999');
}

/** A repeat of `f` `minute` hours later (past the novelty model's one-hour settle time), by a new session. */
const at = (f: Finding, minute: number, session = `run-${minute}`): Finding => ({
  ...f,
  eventId: `${f.eventId}-${minute}`,
  time: new Date(Date.parse(f.time) + minute * 3_600_000).toISOString(),
  principal: f.principal.sessionIssuerArn ? { ...f.principal, name: session, arn: f.principal.arn?.replace(/[^/]+$/, session) } : f.principal,
});

describe('routing: severity, novelty and the floor (zero configuration)', () => {
  it('critical pages at once however routine', async () => {
    const admin = await oneFinding('policy-changed', 'positive-put-role-policy-admin');
    expect(admin.severity).toBe('critical');
    const routed = await route([admin, at(admin, 1), at(admin, 2)]);
    expect(routed.map((f) => f.route)).toEqual(['page', 'page', 'page']);
    expect(routed[2]?.routeReason).toBe('critical → page');
  });

  it('the same change by the usual actor from the usual place becomes routine and drops a step; novel stays', async () => {
    const trust = await oneFinding('policy-changed', 'positive-update-trust-foreign');
    expect(trust.severity).toBe('medium');
    const fromElsewhere = { ...at(trust, 3), sourceIp: '192.0.2.44' };
    const routed = await route([trust, at(trust, 1), at(trust, 2), fromElsewhere]);
    expect(routed.map((f) => f.route)).toEqual(['digest', 'summary', 'summary', 'digest']);
    expect(routed[0]?.routeReason).toMatch(/^medium; novel: first time arn:aws:iam::111122223333:role\/OpsAdmin makes this change/);
    expect(routed[1]?.routeReason).toMatch(/routine: same actor, network, user agent and region seen 1 time\(s\) before → summary$/);
    expect(routed[3]?.routeReason).toMatch(/novel: new network 192\.0\.2\.0\/24 → digest/);
  });

  it('content dangerous in itself stays loud however routine the actor (SSH to the world, root, learnable: false)', async () => {
    const ssh = await oneFinding('security-group-changes', 'positive-ssh-open-to-world');
    expect(ssh.severity).toBe('high');
    const routed = await route([ssh, at(ssh, 1), at(ssh, 2)]);
    expect(routed.map((f) => f.route)).toEqual(['page', 'page', 'page']);
    expect(routed[2]?.routeReason).toMatch(/dangerous in itself/);
    const rootSignins = (await sampleFindings('root-signin', 'positive-failure')).filter((f) => f.detection === 'root-signin');
    const rootRouted = await route([...rootSignins, ...rootSignins.map((f, i) => at(f, i + 1))]);
    expect(rootRouted.every((f) => f.route === 'page')).toBe(true);
    expect(rootRouted.at(-1)?.routeReason).toMatch(/dangerous in itself: (root console sign-in|every root-signin finding matters)/);
  });

  it('a floor: low findings never page and are not posted singly, even novel and from a deployer outside its networks', async () => {
    const lowSg = await oneFinding('security-group-changes', 'positive-ssh-from-office');
    expect(lowSg.severity).toBe('low');
    const config = tuning(`deployers:\n  - name: ops\n    principals: ['arn:aws:iam::111122223333:role/OpsAdmin']\n    networks: [10.0.0.0/8]\n`);
    const [routed] = await route([lowSg], config);
    expect(routed?.route).toBe('summary');
    expect(routed?.routeReason).toMatch(/OUTSIDE its networks/);
  });

  it('routes on severity alone when the novelty model is off', async () => {
    const trust = await oneFinding('policy-changed', 'positive-update-trust-foreign');
    const routed = await route([trust, at(trust, 1)], undefined, false);
    expect(routed.map((f) => f.route)).toEqual(['digest', 'digest']);
    expect(routed[1]?.routeReason).toBe('medium → digest');
  });
});

describe('routing: the configuration', () => {
  it('a declared deployer from its networks is routine; the same role from anywhere else is raised', async () => {
    const mk = (ip: string) =>
      oneFinding('policy-changed', 'positive-update-trust-foreign', (_e, d) => {
        asRole(d, 'terraform-apply');
        d['sourceIPAddress'] = ip;
        foreignTrust(d);
      });
    const inside = await mk('203.0.113.10');
    const outside = await mk('192.0.2.200');
    const [a] = await route([inside], example);
    const [b] = await route([outside], example);
    expect(a?.route).toBe('summary');
    expect(a?.routeReason).toMatch(/declared deployer terraform-ci/);
    expect(b?.route).toBe('page');
    expect(b?.routeReason).toMatch(/declared deployer terraform-ci OUTSIDE its networks \(192\.0\.2\.200\)/);
  });

  it('trust granted only to an organization account or a declared vendor with its ExternalId is recorded, not alerted', async () => {
    const toOrg = await oneFinding('policy-changed', 'positive-update-trust-foreign');
    const [zero] = await route([toOrg]);
    expect(zero?.route).toBe('digest'); // zero-config: 444455556666 is foreign
    const [withOrg] = await route([toOrg], example);
    expect(withOrg?.route).toBe('record');
    expect(withOrg?.routeReason).toMatch(/grants only to organization account shared-services/);

    const trustTo = (account: string, externalId?: string) =>
      oneFinding('policy-changed', 'positive-update-trust-foreign', (_e, d) => {
        const statement: Record<string, unknown> = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' };
        if (externalId) statement['Condition'] = { StringEquals: { 'sts:ExternalId': externalId } };
        (d['requestParameters'] as Record<string, unknown>)['policyDocument'] = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
      });
    const [vendor] = await route([await trustTo('464622532012', 'acme-4f0c2e9a')], example);
    expect(vendor?.route).toBe('record');
    expect(vendor?.routeReason).toMatch(/grants only to vendor monitoring-saas/);
    const [wrongId] = await route([await trustTo('464622532012', 'something-else')], example);
    expect(wrongId?.route).not.toBe('record');
    const [noId] = await route([await trustTo('464622532012')], example);
    expect(noId?.route).not.toBe('record');
  });

  it('an active suppression routes record with its reason and owner; it is counted and never dropped', async () => {
    const kms = await oneFinding('kms-key-deletion', 'positive-schedule-deletion', (e, d) => {
      asRole(d, 'terraform-apply');
      (d['userIdentity'] as Record<string, unknown>)['accountId'] = '333344445555';
      d['recipientAccountId'] = '333344445555';
      e['account'] = '333344445555';
      ((d['userIdentity'] as Record<string, Record<string, Record<string, unknown>>>)['sessionContext']!['sessionIssuer']!)['arn'] = 'arn:aws:iam::333344445555:role/terraform-apply';
    });
    const routed = await route([kms], example);
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatchObject({ route: 'record', suppressed: { id: 'preview-kms-teardown', owner: 'platform-team@acme.example', expires: '2027-06-30' } });
    expect(routed[0]?.routeReason).toMatch(/suppressed by preview-kms-teardown \(preview environments schedule/);
    const counts = countRun(1, [], routed);
    expect(counts.suppressed).toBe(1);
    expect(counts.routes).toEqual({ record: 1 });
  });

  it('an expired suppression no longer applies and alerts once that it expired', async () => {
    const kms = await oneFinding('kms-key-deletion', 'positive-schedule-deletion');
    const config = tuning(`suppressions:\n  - { id: old-teardown, detection: kms-key-deletion, reason: preview teardown, owner: platform, expires: 2026-01-31 }\n`);
    const routed = await route([kms, at(kms, 5)], config);
    expect(routed.filter((f) => f.detection === 'kms-key-deletion').every((f) => !f.suppressed && f.route !== 'record')).toBe(true);
    const expired = routed.filter((f) => f.detection === SUPPRESSION_EXPIRED);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ route: 'digest', eventId: 'suppression-expired:old-teardown:2026-01-31', severity: 'medium' });
    expect(expired[0]?.title).toMatch(/Suppression old-teardown \(owner platform\) expired on 2026-01-31/);
    expect(routed[0]?.routeReason).toMatch(/suppression old-teardown expired on 2026-01-31/);
  });

  it('a detection turned off is recorded only; a severity override changes the route and says so', async () => {
    const gw = await oneFinding('network-gateway-changes', 'positive-attach-igw');
    const [off] = await route([gw], example);
    expect(off).toMatchObject({ route: 'record' });
    expect(off?.routeReason).toMatch(/detection turned off in configuration \(network team audits/);
    const failures = (await sampleFindings('console-auth-failures', 'positive-iam-user-failure')).filter((f) => f.detection === 'console-auth-failures');
    const [overridden] = await route(failures, example);
    expect(overridden).toMatchObject({ severity: 'info', route: 'record', details: expect.objectContaining({ severityOverride: { from: 'low', to: 'info', reason: 'sign-in failures are reviewed weekly from the findings bus' } }) });
  });

  it('a non-production account drops a step unless the content is dangerous in itself', async () => {
    const inStaging = (folder: string, name: string) =>
      oneFinding(folder, name, (e, d) => {
        d['recipientAccountId'] = '222233334444';
        e['account'] = '222233334444';
        foreignTrust(d);
      });
    const [trust] = await route([await inStaging('policy-changed', 'positive-update-trust-foreign')], example);
    expect(trust?.route).toBe('summary');
    expect(trust?.routeReason).toMatch(/non-production account staging/);
    const [ssh] = await route([await inStaging('security-group-changes', 'positive-ssh-open-to-world')], example);
    expect(ssh?.route).toBe('page');
  });

  it('a declared scanner’s rate bursts are recorded', async () => {
    const burst: Finding = {
      detection: 'api-rate-anomaly',
      severity: 'high',
      title: 'Principal made 900 API calls in one minute',
      eventId: 'rate-1',
      eventName: 'DescribeInstances',
      eventSource: 'ec2.amazonaws.com',
      time: '2026-11-20T02:00:00.000Z',
      account: '111122223333',
      region: 'us-east-1',
      principal: { type: 'AssumedRole', name: 'nightly', arn: 'arn:aws:sts::111122223333:assumed-role/cspm-readonly/nightly', sessionIssuerArn: 'arn:aws:iam::111122223333:role/cspm-readonly' },
      sourceIp: '198.51.100.20',
      details: { dimension: 'principal' },
    };
    const [scanner] = await route([burst], example);
    expect(scanner?.route).toBe('record');
    expect(scanner?.routeReason).toMatch(/declared scanner nightly-cspm/);
    const [elsewhere] = await route([{ ...burst, sourceIp: '192.0.2.9' }], example);
    expect(elsewhere?.route).toBe('page');
  });
});
