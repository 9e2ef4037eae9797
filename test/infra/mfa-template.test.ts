import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { forwardedPattern, memberTemplate } from '../../scripts/member-template.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { packagedTemplate } from '../helpers/packaged.ts';

// The deployed MFA-replacement judgement (docs/noise.md): what the packaged template gives it.

type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
let resources: Record<string, Resource>;

beforeAll(() => {
  resources = packagedTemplate<{ Resources: Record<string, Resource> }>().Resources;
}, 300_000);

const envOf = (id: string) => ((resources[id]?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables ?? {});
const mfaSamples = () =>
  readdirSync(join(EVENTS_DIR, 'mfa-deactivated'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ f, event: readJson(join(EVENTS_DIR, 'mfa-deactivated', f)) as Record<string, unknown> }));

describe('packaged template: MFA replacement', () => {
  it('detect, rates and the sweep read the same window (15 minutes by default)', () => {
    for (const id of ['DetectLambdaFunction', 'RatesLambdaFunction', 'MfaSweepLambdaFunction']) expect(envOf(id)['TRAILWATCH_MFA_REPLACEMENT_MINUTES'], id).toBe('15');
    expect(envOf('MfaSweepLambdaFunction')['TRAILWATCH_RATES_TABLE']).toEqual({ Ref: 'RatesTable' });
  });

  it('the sweep runs every 5 minutes, one at a time, under a role of its own', () => {
    const sweep = resources['MfaSweepLambdaFunction']!.Properties;
    expect(sweep['Handler']).toBe('functions/rates.mfaSweep');
    expect(sweep['Role']).toEqual({ 'Fn::GetAtt': ['MfaSweepRole', 'Arn'] });
    expect(sweep['ReservedConcurrentExecutions']).toBe(1);
    const schedules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties['ScheduleExpression'] === 'rate(5 minutes)');
    expect(schedules.some((r) => JSON.stringify(r.Properties['Targets']).includes('MfaSweepLambdaFunction'))).toBe(true);
    const alarm = resources['MfaSweepErrorsAlarm']!.Properties;
    expect(alarm['Dimensions']).toEqual([{ Name: 'FunctionName', Value: { Ref: 'MfaSweepLambdaFunction' } }]);
  });

  it('the rates role may read and write only the MFA item and the baseline profiles (b|…) of the rates table beyond its UpdateItem', () => {
    const statements = (resources['RatesRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>)[0]!.PolicyDocument.Statement;
    const ddb = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('dynamodb:')));
    const bySid = Object.fromEntries(ddb.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['BaselineProfileItems', 'MfaPendingItemOnly', 'RateStateItems']);
    expect(bySid['BaselineProfileItems']).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: { 'Fn::GetAtt': ['RatesTable', 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['b|*'] } },
    });
    expect(bySid['RateStateItems']).toMatchObject({ Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': ['RatesTable', 'Arn'] } });
    expect(bySid['MfaPendingItemOnly']).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: { 'Fn::GetAtt': ['RatesTable', 'Arn'] },
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['mfa|pending'] } },
    });
  });

  it('the sweep role holds only the MFA item, the alert sinks, metrics and its own log group: no queue, no rate state', () => {
    const statements = (resources['MfaSweepRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>)[0]!.PolicyDocument.Statement;
    const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort();
    expect(actions).toEqual(['cloudwatch:PutMetricData', 'dynamodb:GetItem', 'dynamodb:PutItem', 'events:PutEvents', 'kms:Decrypt', 'kms:GenerateDataKey*', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish']);
    expect(statements.find((s) => s.Sid === 'MfaPendingItemOnly')).toMatchObject({ Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['mfa|pending'] } } });
    expect(JSON.stringify(statements.find((s) => s.Sid === 'OwnLogGroupOnly')?.Resource)).toContain('-mfaSweep:*');
    // The rates role no longer writes the sweep's logs.
    const rates = (resources['RatesRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>)[0]!.PolicyDocument.Statement;
    expect(JSON.stringify(rates.find((s) => s.Sid === 'OwnLogGroupOnly')?.Resource)).not.toContain('mfaSweep');
  });

  it('the rates rule and the member forwarders admit every MFA sample (removals and the new device alike)', () => {
    const ratesPattern = resources['RatesRule']!.Properties['EventPattern'];
    const samples = mfaSamples();
    expect(samples.map((s) => (s.event['detail'] as { eventName: string }).eventName)).toEqual(expect.arrayContaining(['DeactivateMFADevice', 'DeleteVirtualMFADevice', 'EnableMFADevice']));
    const member = memberTemplate({ stackName: 'trailwatch-prod' }) as { Resources: Record<string, Resource> };
    const forwarders = Object.values(member.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties['EventPattern']).map((r) => r.Properties['EventPattern']);
    for (const { f, event } of samples) {
      expect(matchesPattern(ratesPattern, event), f).toBe(true);
      expect(matchesPattern(forwardedPattern, event), f).toBe(true);
      expect(forwarders.some((p) => matchesPattern(p, event)), f).toBe(true);
    }
  });
});
