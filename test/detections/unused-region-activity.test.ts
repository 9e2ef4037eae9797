import { describe, expect, it } from 'vitest';
import { GLOBAL_SERVICES, SIGNIN_REGIONS } from '../../shared/detections/lib/global-services.ts';
import { approvedRegionsFor, regionNameProblem } from '../../shared/detections/lib/regions.ts';
import { detect, exemption, meta } from '../../shared/detections/unused-region-activity.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import type { ApprovedRegions } from '../../shared/tuning/types.ts';
import { sampleEvent, sampleTuning } from '../helpers/events.ts';

const ID = 'unused-region-activity';
const context = sampleTuning();
const sample = (name: string): TrailEvent => sampleEvent(ID, name);

/** The same event somewhere else, by someone else, or with other fields (raw kept in step). */
function variant(e: TrailEvent, change: Partial<TrailEvent> & { raw?: Partial<TrailEvent['raw']> }): TrailEvent {
  const { raw, ...rest } = change;
  return { ...e, ...rest, raw: { ...e.raw, ...(raw ?? {}) } };
}

describe('unused-region-activity: severity by what happened', () => {
  it.each([
    ['positive-run-instances-unapproved-region', 'high', 'sa-east-1'],
    ['positive-create-function-unapproved-region', 'high', 'ap-northeast-3'],
    ['positive-denied-by-region-deny-scp', 'low', 'me-south-1'],
    ['positive-outside-account-own-list', 'medium', 'us-east-1'],
  ])('%s is %s and names the region and whose list it is outside', (name, severity, region) => {
    const [f, ...rest] = detect(sample(name), context);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detection: ID, severity, region, details: { region } });
    expect(f?.title).toContain(`(${region}), a region`);
  });

  it('judges an account with its own list by that list alone (it replaces the organization-wide one)', () => {
    const [f] = detect(sample('positive-outside-account-own-list'), context);
    expect(f?.title).toMatch(/a region account previews does not use/);
    expect(f?.details['approvedRegions']).toEqual(['eu-west-1']);
    // The same write by an account on the organization-wide list is approved (us-east-1 is on it).
    expect(detect(variant(sample('positive-outside-account-own-list'), { account: '111122223333' }), context)).toEqual([]);
  });

  it('a failed call is low, and says the credentials were used there', () => {
    const [f] = detect(sample('positive-denied-by-region-deny-scp'), context);
    expect(f?.title).toMatch(/tried CreateVpc .* — Client\.UnauthorizedOperation$/);
    expect(String(f?.details['judged'])).toMatch(/failed call .*credentials were used there/);
    const launchDenied = variant(sample('positive-run-instances-unapproved-region'), { errorCode: 'Client.UnauthorizedOperation' });
    expect(detect(launchDenied, context)[0]?.severity).toBe('low');
  });

  it('StackSet and Control Tower execution roles (baselines in every region) are low, not exempt', () => {
    const e = sample('positive-create-function-unapproved-region');
    const issuer = { ...e.principal.sessionIssuer, arn: 'arn:aws:iam::111122223333:role/stacksets-exec-1f2e3d4c5b6a79880', userName: 'stacksets-exec-1f2e3d4c5b6a79880' };
    const [f] = detect(variant(e, { principal: { ...e.principal, sessionIssuer: issuer } }), context);
    expect(f?.severity).toBe('low');
    const ct = { ...issuer, arn: 'arn:aws:iam::111122223333:role/AWSControlTowerExecution' };
    expect(detect(variant(e, { principal: { ...e.principal, sessionIssuer: ct } }), context)[0]?.severity).toBe('low');
    // A role merely named like one is judged as any other.
    const lookalike = { ...issuer, arn: 'arn:aws:iam::111122223333:role/AWSControlTowerExecution-copy' };
    expect(detect(variant(e, { principal: { ...e.principal, sessionIssuer: lookalike } }), context)[0]?.severity).toBe('high');
  });

  it('a console sign-in through an unapproved region\'s own endpoint is low; through the global endpoint\'s regions it is not judged', () => {
    const signIn = sample('negative-sign-in-through-global-endpoint');
    expect(detect(signIn, context)).toEqual([]);
    for (const region of SIGNIN_REGIONS) expect(detect(variant(signIn, { region }), context), region).toEqual([]);
    const [f] = detect(variant(signIn, { region: 'eu-south-1' }), context);
    expect(f).toMatchObject({ severity: 'low', region: 'eu-south-1' });
  });
});

describe('unused-region-activity: what is not judged (each written down in docs/detections.md)', () => {
  const launch = sample('positive-run-instances-unapproved-region');

  it('read-only calls, by readOnly or, when a record lacks it, by name', () => {
    expect(detect(sample('negative-read-only-describe'), context)).toEqual([]);
    const noFlag = variant(sample('negative-read-only-describe'), { readOnly: undefined });
    expect(exemption(noFlag)).toBe('read-only');
    expect(exemption(variant(launch, { readOnly: undefined }))).toBeUndefined();
  });

  it('every listed global service in its home region, and only there', () => {
    for (const g of GLOBAL_SERVICES) {
      const e = variant(launch, { source: g.eventSource, name: 'CreateSomething', region: g.region, account: '333344445555' });
      expect(detect(e, context), `${g.eventSource} in ${g.region}`).toEqual([]);
      expect(g.source.length, g.eventSource).toBeGreaterThan(20);
    }
    // A regional endpoint of a global service elsewhere is regional activity (STS in sa-east-1).
    const sts = variant(launch, { source: 'sts.amazonaws.com', name: 'SetSecurityTokenServicePreferences', readOnly: false });
    expect(detect(sts, context)[0]?.severity).toBe('medium');
    // The account whose list lacks us-east-1 still writes IAM there: the global-service sample.
    expect(detect(sample('negative-global-service-in-us-east-1'), context)).toEqual([]);
  });

  it('AWS acting on its own: AWSService identities, invokedBy, service-linked roles', () => {
    expect(detect(sample('negative-service-principal'), context)).toEqual([]);
    expect(detect(sample('negative-service-linked-role'), context)).toEqual([]);
    const viaCfn = variant(launch, { principal: { ...launch.principal, invokedBy: 'cloudformation.amazonaws.com' } });
    expect(exemption(viaCfn)).toMatch(/invoked by cloudformation/);
  });

  it('AWS service events, Insights events and data events', () => {
    expect(detect(variant(launch, { eventType: 'AwsServiceEvent' }), context)).toEqual([]);
    expect(detect(variant(launch, { eventType: 'AwsCloudTrailInsight' }), context)).toEqual([]);
    expect(detect(variant(launch, { raw: { managementEvent: false, eventCategory: 'Data' } }), context)).toEqual([]);
  });

  it('approved regions, organization-wide and per account', () => {
    expect(detect(sample('negative-approved-region'), context)).toEqual([]);
    expect(detect(variant(launch, { region: 'us-west-2' }), context)).toEqual([]);
    expect(detect(variant(launch, { region: 'eu-west-1', account: '333344445555' }), context)).toEqual([]);
  });
});

describe('unused-region-activity: zero configuration', () => {
  it('reports nothing without approvedRegions, and says so in its metadata', () => {
    expect(detect(sample('positive-run-instances-unapproved-region'))).toEqual([]);
    expect(detect(sample('positive-run-instances-unapproved-region'), {})).toEqual([]);
    expect(meta.needsTuning?.key).toBe('approvedRegions');
  });

  it('an account with no list that applies is not judged (per-account lists only)', () => {
    const onlyPreviews: ApprovedRegions = { accounts: [{ id: '333344445555', regions: ['eu-west-1'] }] };
    expect(detect(sample('positive-run-instances-unapproved-region'), { approvedRegions: onlyPreviews })).toEqual([]);
    expect(detect(sample('positive-outside-account-own-list'), { approvedRegions: onlyPreviews })).toHaveLength(1);
    expect(approvedRegionsFor(onlyPreviews, '111122223333')).toBeUndefined();
  });
});

describe('region names (tuning file checks)', () => {
  it.each(['us-east-1', 'eu-west-1', 'ap-southeast-7', 'us-gov-west-1', 'us-isob-east-1', 'cn-north-1', 'il-central-1', 'eusc-de-east-1'])('%s is a region', (r) => {
    expect(regionNameProblem(r)).toBeUndefined();
  });
  it.each([
    ['eu-west-1a', /Availability Zone; write its region, eu-west-1/],
    ['EU-WEST-1', /lower case: write eu-west-1/],
    ['eu-west', /such as eu-west-1/],
    ['ireland', /such as eu-west-1/],
    ['*', /such as eu-west-1/],
  ])('%s is not, and the message says what to write', (r, message) => {
    expect(regionNameProblem(r)).toMatch(message);
  });
});
