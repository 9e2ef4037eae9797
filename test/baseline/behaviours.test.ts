import { describe, expect, it } from 'vitest';
import { BaselineProcessor } from '../../shared/baseline/processor.ts';
import { locationOf } from '../../shared/baseline/location.ts';
import { observationsOf } from '../../shared/baseline/observations.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { decideRoute } from '../../shared/routing/decide.ts';
import { EMPTY_TUNING } from '../../shared/tuning/check.ts';
import { ACCOUNT, assumeRole, consoleLogin, DAY, record, T0, toEvent, type Actor } from './records.ts';

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/OrgAdmin`;
const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const ci: Actor = { kind: 'role', name: 'gha-runner' };
const alice: Actor = { kind: 'user', name: 'alice' };
const HOME = '81.2.69.160'; // GB
const OFFICE = '81.2.70.17'; // GB, another /24

/** Weeks of routine: CI assumes the deploy role every 5 minutes, alice assumes OrgAdmin daily and signs in daily from two networks, deploy writes the same few APIs. */
function routine(days: number): TrailEvent[] {
  const out: TrailEvent[] = [];
  for (let t = T0; t < T0 + days * DAY; t += 5 * 60_000) {
    out.push(toEvent(assumeRole(t, ci, DEPLOY)));
    out.push(toEvent(record(t + 1000, { kind: 'role', name: 'deploy' }, 'cloudformation.amazonaws.com', t % (2 * 3600_000) === 0 ? 'UpdateStack' : 'CreateChangeSet')));
    // Read-only chatter from a scanner: never counted.
    out.push(toEvent(record(t + 2000, { kind: 'role', name: 'scanner' }, 'ec2.amazonaws.com', `Describe${['Instances', 'Volumes', 'Snapshots', 'Images'][(t / 300_000) % 4]}`, { readOnly: true })));
  }
  for (let d = 0; d < days; d++) {
    const t = T0 + d * DAY + 9 * 3600_000;
    out.push(toEvent(consoleLogin(t, alice, d % 2 ? HOME : OFFICE)));
    out.push(toEvent(assumeRole(t + 60_000, alice, ADMIN)));
  }
  return out;
}

async function runBatches(p: BaselineProcessor, events: TrailEvent[], size = 500): Promise<Finding[]> {
  const sorted = [...events].sort((a, b) => a.timeMs - b.timeMs);
  const out: Finding[] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(...(await p.process(sorted.slice(i, i + size))));
  return out;
}

const route = (f: Finding) => decideRoute({ finding: f, tuning: EMPTY_TUNING, learnable: true }).route;

describe('baseline behaviours on realistic routine and attacks', () => {
  it('three weeks of routine (automation every 5 minutes, a person from the same two networks) make no finding', async () => {
    const p = new BaselineProcessor();
    const findings = await runBatches(p, routine(21));
    expect(findings).toEqual([]);
    expect(p.stats.observed['unusual-role-assumption']).toBeGreaterThan(6000);
    expect(p.stats.observed['signin-from-new-location']).toBe(21);
    expect(p.stats.novel).toBe(0);
  });

  it('a new external account assuming the admin role pages; a sign-in from a new country pages; a new write API is a summary line', async () => {
    const p = new BaselineProcessor();
    await runBatches(p, routine(21));
    const t = T0 + 21 * DAY + 3 * 3600_000;
    const attack = [
      toEvent(assumeRole(t, { kind: 'account', account: '999988887777', principalId: 'AROAATTACKERROLE0001:pwn' }, ADMIN)),
      toEvent(consoleLogin(t + 60_000, alice, '185.220.101.45')), // DE
      toEvent(record(t + 120_000, { kind: 'role', name: 'deploy' }, 'cloudformation.amazonaws.com', 'DeleteStack')),
      toEvent(record(t + 180_000, { kind: 'role', name: 'deploy' }, 'iam.amazonaws.com', 'CreateAccessKey')),
    ];
    const findings = await p.process(attack);
    const summary = findings.map((f) => [f.detection, f.severity, route(f)]);
    expect(summary).toEqual([
      ['unusual-role-assumption', 'high', 'page'],
      ['signin-from-new-location', 'high', 'page'],
      ['new-api-for-principal', 'low', 'summary'],
      ['new-api-for-principal', 'medium', 'digest'],
    ]);
    expect(findings[0]?.details).toMatchObject({ assumer: 'account:999988887777/AROAATTACKERROLE0001', crossAccount: true, privilegedRole: true, assumerAccount: '999988887777' });
    expect(findings[1]?.details).toMatchObject({ country: 'DE', network: '185.220.101.0/24', newCountry: true });
    expect(findings[0]?.inherentRisk).toContain('999988887777');
    // The same events again (SQS redelivery) give the same findings, nothing more.
    expect((await p.process(attack)).map((f) => f.eventId)).toEqual(findings.map((f) => f.eventId));
  });

  it('a new network in a known country is low; the same new network the next day is known', async () => {
    const p = new BaselineProcessor();
    await runBatches(p, routine(10));
    const first = await p.process([toEvent(consoleLogin(T0 + 10 * DAY + 3600_000, alice, '81.2.99.4'))]);
    expect(first.map((f) => [f.severity, f.details['country'], f.details['newCountry']])).toEqual([['low', 'GB', false]]);
    expect(await p.process([toEvent(consoleLogin(T0 + 11 * DAY, alice, '81.2.99.200'))])).toEqual([]);
  });

  it('learning: a brand-new role assumed by a new account stays quiet; the usual assumer again is quiet', async () => {
    const p = new BaselineProcessor();
    await runBatches(p, routine(10));
    const t = T0 + 10 * DAY;
    const out = await p.process([
      toEvent(assumeRole(t, { kind: 'account', account: '999988887777', principalId: 'AIDAVENDOR000000001' }, `arn:aws:iam::${ACCOUNT}:role/NewVendorRole`)),
      toEvent(assumeRole(t + 1000, ci, DEPLOY)),
      toEvent(assumeRole(t + 2000, alice, ADMIN)),
    ]);
    expect(out).toEqual([]);
  });

  it('normalises assumers: every session of a role is the role; SAML providers and AWS services are assumers of their own', async () => {
    const p = new BaselineProcessor();
    const role = `arn:aws:iam::${ACCOUNT}:role/app`;
    const history: TrailEvent[] = [];
    for (let d = 0; d < 10; d++) history.push(toEvent(assumeRole(T0 + d * DAY, { kind: 'role', name: 'ci', session: `job-${d}` }, role)));
    await runBatches(p, history);
    const t = T0 + 11 * DAY;
    const out = await p.process([
      toEvent(assumeRole(t, { kind: 'role', name: 'ci', session: 'job-new' }, role)),
      toEvent(assumeRole(t + 1, { kind: 'saml', provider: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, role: 'app', person: 'bob@example.com' }, role)),
      toEvent(assumeRole(t + 2, { kind: 'service', service: 'lambda.amazonaws.com' }, role)),
    ]);
    expect(out.map((f) => [f.details['assumer'], f.details['assumerType'], f.severity])).toEqual([
      [`saml:arn:aws:iam::${ACCOUNT}:saml-provider/Okta`, 'SAML provider', 'medium'],
      ['service:lambda.amazonaws.com', 'AWS service', 'low'],
    ]);
  });

  it('bad input never throws and is counted: missing sourceIPAddress, AWS Internal, malformed roleArn, lone surrogates', async () => {
    const p = new BaselineProcessor();
    const events = [
      toEvent(consoleLogin(T0, alice, undefined)),
      toEvent(consoleLogin(T0 + 1, alice, 'AWS Internal')),
      toEvent(consoleLogin(T0 + 2, alice, '10.1.2.3')),
      toEvent(assumeRole(T0 + 3, ci, 'not-an-arn')),
      toEvent(assumeRole(T0 + 4, ci, `arn:aws:iam::${ACCOUNT}:role/x`, { requestParameters: { roleArn: 42 } })),
      toEvent(record(T0 + 5, { kind: 'user', name: 'ev\uD800il' }, 'iam.amazonaws.com', 'CreateUser')),
      toEvent(record(T0 + 6, alice, 'iam.amazonaws.com', 'x'.repeat(5000))),
    ];
    await expect(p.process(events)).resolves.toEqual([]);
    expect(p.stats.skipped).toEqual({
      'console sign-in without sourceIPAddress': 1,
      'console sign-in from no IP address (AWS Internal or a service)': 1,
      'console sign-in from a private address': 1,
      'AssumeRole with a malformed roleArn': 1,
      'AssumeRole without a roleArn': 1,
      'API call with a principal or API name too long to keep': 1,
    });
    expect(p.stats.observed['new-api-for-principal']).toBe(1); // the lone surrogate became U+FFFD, and was kept
    expect(p.notes().length).toBe(6);
  });

  it('the new-API value and its sensitivity are the same whether remembered or not, and follow the length limit asked for', () => {
    const deploy: Actor = { kind: 'role', name: 'deploy' };
    const apiOf = (source: string, name: string, maxLength: number) => {
      const [o] = observationsOf(toEvent(record(T0, deploy, source, name)), maxLength).observations;
      return o && { value: o.values[0], sensitive: o.facts['sensitive'] };
    };
    for (let round = 0; round < 2; round++) {
      expect(apiOf('iam.amazonaws.com', 'CreateUser', 512)).toEqual({ value: 'iam.amazonaws.com:CreateUser', sensitive: true });
      expect(apiOf('cloudformation.amazonaws.com', 'UpdateStack', 512)).toEqual({ value: 'cloudformation.amazonaws.com:UpdateStack', sensitive: false });
      // 'cloudformation.amazonaws.com:UpdateStack' is 40 characters: refused under a 38-character limit (the principal's role ARN, 37, is not), kept again at 512.
      expect(apiOf('cloudformation.amazonaws.com', 'UpdateStack', 38)).toBeUndefined();
      expect(apiOf('cloudformation.amazonaws.com', 'UpdateStack', 512)).toEqual({ value: 'cloudformation.amazonaws.com:UpdateStack', sensitive: false });
    }
    expect(observationsOf(toEvent(record(T0, deploy, 'cloudformation.amazonaws.com', 'UpdateStack')), 38).skips).toEqual(['API call with a principal or API name too long to keep']);
  });

  it('networks are /24 and /48, countries come from the dated snapshot, documentation ranges have none', () => {
    expect(locationOf('185.220.101.45')).toEqual({ network: '185.220.101.0/24', country: 'DE' });
    expect(locationOf('2a01:4f8:c17:1::5')).toEqual({ network: '2a01:4f8:c17::/48', country: 'DE' });
    expect(locationOf('198.51.100.7')).toEqual({ network: '198.51.100.0/24' });
    expect(locationOf('cloudformation.amazonaws.com')).toBe('not an address');
    expect(locationOf('fd00::1')).toBe('private address');
  });
});
