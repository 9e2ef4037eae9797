import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memberTemplate } from '../../scripts/member-template.ts';
import { HEARTBEAT_PATTERN } from '../../shared/heartbeat/beat.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { packagedTemplate } from '../helpers/packaged.ts';
import { beatEnvelope } from '../heartbeat/beats.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
let resources: Record<string, Resource>;

beforeAll(() => {
  resources = packagedTemplate<{ Resources: Record<string, Resource> }>().Resources;
}, 300_000);

const getAtt = (v: unknown): string | undefined => (v as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];
const statements = (role: string): Statement[] => (resources[role]!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);

/** Every sample event under events/ (CloudTrail envelopes and other services' findings). */
function samples(): unknown[] {
  return readdirSync(EVENTS_DIR)
    .filter((d) => statSync(join(EVENTS_DIR, d)).isDirectory())
    .flatMap((d) => readdirSync(join(EVENTS_DIR, d)).filter((f) => f.endsWith('.json')).map((f) => readJson(join(EVENTS_DIR, d, f))));
}

describe('packaged template: forwarder heartbeats (mode=organization)', () => {
  it('routes the members’ heartbeats, and nothing else, from the central bus to the recorder, with retries and a DLQ', () => {
    const rule = resources['CentralHeartbeatRule']!;
    expect(rule.Condition).toBe('IsOrganization');
    expect(rule.Properties['EventBusName']).toEqual({ Ref: 'CentralBus' });
    expect(rule.Properties['EventPattern']).toEqual(HEARTBEAT_PATTERN);
    const [target] = rule.Properties['Targets'] as Array<Record<string, unknown>>;
    expect(getAtt(target!['Arn'])).toBe('HeartbeatLambdaFunction');
    expect(target!['RetryPolicy']).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    expect(getAtt((target!['DeadLetterConfig'] as { Arn: unknown }).Arn)).toBe('TargetDlq');
    const pattern = rule.Properties['EventPattern'];
    expect(matchesPattern(pattern, beatEnvelope('444455556666', 'eu-west-1', Date.parse('2026-12-02T01:05:00Z')))).toBe(true);
    const all = samples();
    expect(all.length).toBeGreaterThan(50);
    for (const e of all) expect(matchesPattern(pattern, e)).toBe(false);
    const perm = resources['CentralHeartbeatPermission']!;
    expect(perm.Condition).toBe('IsOrganization');
    expect(perm.Properties).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['CentralHeartbeatRule', 'Arn'] } });
  });

  it('sends a heartbeat the member template’s forward rule would not (so every scheduled event on the central bus is a heartbeat)', () => {
    const member = memberTemplate({ stackName: 'trailwatch-ci' }) as { Resources: Record<string, Resource> };
    const hb = member.Resources['HeartbeatRule']!;
    expect(hb.Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    for (const [id, r] of Object.entries(member.Resources)) {
      const p = r.Properties?.['EventPattern'];
      if (p) expect(matchesPattern(p, beatEnvelope('444455556666', 'eu-west-1', Date.now())), id).toBe(false);
    }
  });

  it('runs the check every 5 minutes in organization mode, one at a time, retried by the next run', () => {
    const schedule = resources['HeartbeatCheckSchedule']!;
    expect(schedule.Condition).toBe('IsOrganization');
    expect(schedule.Properties['ScheduleExpression']).toBe('rate(5 minutes)');
    expect(getAtt((schedule.Properties['Targets'] as Array<{ Arn: unknown }>)[0]!.Arn)).toBe('HeartbeatCheckLambdaFunction');
    expect(resources['HeartbeatCheckPermission']!.Condition).toBe('IsOrganization');
    const fn = resources['HeartbeatCheckLambdaFunction']!.Properties;
    expect(fn['ReservedConcurrentExecutions']).toBe(1);
    const env = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({ TRAILWATCH_HEARTBEAT_TABLE: { Ref: 'HeartbeatTable' }, TRAILWATCH_HEARTBEAT_SILENCE_MINUTES: '20', TRAILWATCH_HOME_ACCOUNT: { Ref: 'AWS::AccountId' }, TRAILWATCH_ALERTS_TOPIC_ARN: { Ref: 'AlertsTopic' } });
  });

  it('parks failed invocations of both functions in the heartbeat failure queue, which is alarmed', () => {
    for (const fn of ['HeartbeatLambdaFunction', 'HeartbeatCheckLambdaFunction']) {
      const conf = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && (r.Properties['FunctionName'] as { Ref?: string }).Ref === fn);
      expect(getAtt((conf?.Properties['DestinationConfig'] as { OnFailure: { Destination: unknown } }).OnFailure.Destination), fn).toBe('HeartbeatFailureQueue');
    }
    const alarm = resources['HeartbeatFailureQueueDepthAlarm']!.Properties as { Dimensions: Array<{ Value: unknown }> };
    expect(getAtt(alarm.Dimensions[0]!.Value)).toBe('HeartbeatFailureQueue');
  });

  it('keeps last-seen in an on-demand, encrypted table with a TTL', () => {
    expect(resources['HeartbeatTable']!.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true }, SSESpecification: { SSEEnabled: true } });
  });

  it('gives the recorder one UpdateItem on its table and nothing else; the check no wildcard resource but PutMetricData', () => {
    const recorder = statements('HeartbeatRole');
    expect(recorder.map((s) => [s.Sid, s.Action])).toEqual([
      ['OwnLogGroupOnly', ['logs:CreateLogStream', 'logs:PutLogEvents']],
      ['RecordLastSeen', 'dynamodb:UpdateItem'],
      ['FailedInvocationsToFailureQueue', 'sqs:SendMessage'],
    ]);
    expect(getAtt(recorder[1]!.Resource)).toBe('HeartbeatTable');
    const check = statements('HeartbeatCheckRole');
    expect(check.find((s) => s.Sid === 'ListAndTransitionPairs')).toMatchObject({ Action: ['dynamodb:Scan', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['HeartbeatTable', 'Arn'] } });
    for (const s of [...recorder, ...check]) {
      if (s.Resource !== '*') continue;
      expect(s.Action).toBe('cloudwatch:PutMetricData');
      expect(s.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Trailwatch' } });
    }
  });
});
