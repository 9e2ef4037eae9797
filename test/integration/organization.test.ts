import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListTargetsByRuleCommand, PutEventsCommand, PutTargetsCommand, RemoveTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as detectHandler } from '../../functions/detect.ts';
import { handler as heartbeatHandler } from '../../functions/heartbeat.ts';
import { handler as ratesHandler } from '../../functions/rates.ts';
import { memberTemplate } from '../../scripts/member-template.ts';
import { DynamoHeartbeatStore } from '../../shared/heartbeat/dynamodb-store.ts';
import type { Finding } from '../../shared/model/types.ts';
import { unwrapRouted } from '../../shared/pipeline/routing.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { type CfnTemplate, motoTemplate } from './moto-template.ts';
import { type DeployedStack, type MotoAccount, clientConfig, deployPackagedStack, drain, invokeAsync, motoAccount, observerQueue, queueUrlOf, withFunctionEnvironment } from './moto-stack.ts';

/**
 * Organization mode on moto, across two accounts (issue 14): the central stack (the packaged
 * template, Mode=organization) in one moto account in us-east-1, the generated member template in
 * a DIFFERENT account in eu-west-1. A CloudTrail event put on the member's default bus goes through
 * the member's forward rule to the central bus (cross-account bus target), reaches the central
 * detect and rates targets, and the detect handler reports it naming the member account and
 * region. A heartbeat in the member goes through the member's heartbeat rule to the central
 * heartbeat rule and is recorded.
 *
 * What moto does not do, and how this file compensates (docs/organization.md "Verified where"):
 * - It evaluates no resource policy (aws:PrincipalOrgID) and assumes no target RoleArn: the bus
 *   policy and the role are checked in test/infra/ (template tests, cfn-lint) instead.
 * - Its cross-account delivery re-puts only source, detail-type and detail: the forwarded envelope
 *   has NO `account`, the CENTRAL region, and no `resources`. Real EventBridge keeps the member's.
 *   Detect names the account from `detail.recipientAccountId` (kept), so that finding is checked
 *   as in AWS; for the heartbeat (whose identity is the envelope) the test puts back the three
 *   envelope fields AWS keeps before the recorder runs.
 * - It fires no schedules, and treats a rule with no pattern (the member's schedule-only
 *   heartbeat rule) as matching EVERY event on its bus; it also ignores rule state. So each member
 *   rule is exercised alone: the other's targets are detached while it runs.
 */

const endpoint = inject('motoEndpoint');
const unavailable = inject('motoUnavailable');
const MEMBER_REGION = 'eu-west-1';
const STACK = 'trailwatch-ci';

/** Creates a stack from a template body in one account and region; resolves with its outputs. */
async function createStack(account: MotoAccount, region: string, name: string, template: unknown, parameters: Record<string, string>): Promise<void> {
  const cf = new CloudFormationClient({ ...clientConfig(account), region });
  await cf.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'], Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }));
  for (let attempt = 0; attempt < 600; attempt++) {
    const { Stacks } = await cf.send(new DescribeStacksCommand({ StackName: name }));
    const status = Stacks?.[0]?.StackStatus ?? '';
    if (status === 'CREATE_COMPLETE') return;
    if (!status.endsWith('_IN_PROGRESS')) throw new Error(`member stack is ${status}: ${Stacks?.[0]?.StackStatusReason ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A security-group change made in the member account in eu-west-1 (the RDP-open sample, re-homed). */
function memberCloudTrailEvent(member: string): Record<string, unknown> {
  const e = readJson(join(EVENTS_DIR, 'security-group-changes', 'positive-rdp-open-ipv6.json')) as Record<string, Record<string, unknown>>;
  const detail = { ...e['detail'], eventID: 'org-moto-0001-4b5c-9d1e-member', recipientAccountId: member, awsRegion: MEMBER_REGION, userIdentity: { ...(e['detail']!['userIdentity'] as Record<string, unknown>), accountId: member } };
  return { ...e, account: member, region: MEMBER_REGION, detail };
}

describe.skipIf(!endpoint)(`moto: organization mode across two accounts${unavailable ? ` (${unavailable})` : ''}`, () => {
  let central: DeployedStack;
  let member: MotoAccount;
  let memberBus: EventBridgeClient;
  let memberSqs: SQSClient;
  const rules = { forward: `${STACK}-forward-management-events`, heartbeat: `${STACK}-forwarder-heartbeat` };
  const targets: Record<string, Target[]> = {};

  async function only(rule: 'forward' | 'heartbeat'): Promise<void> {
    const other = rule === 'forward' ? 'heartbeat' : 'forward';
    await memberBus.send(new RemoveTargetsCommand({ Rule: rules[other], Ids: (targets[other] ?? []).map((t) => t.Id!) }));
    await memberBus.send(new PutTargetsCommand({ Rule: rules[rule], Targets: targets[rule] }));
  }

  beforeAll(async () => {
    const centralAccount = await motoAccount(endpoint);
    member = await motoAccount(endpoint);
    while (member.accountId === centralAccount.accountId) member = await motoAccount(endpoint);
    central = await deployPackagedStack(centralAccount, undefined, { parameters: { Mode: 'organization', OrganizationId: 'o-abcdef1234' } });

    // The member template exactly as the StackSet deploys it, made moto-creatable the same way
    // as the central one (its queue policy dropped: moto skips queue policies).
    const transformed = motoTemplate(memberTemplate({ stackName: STACK }) as unknown as CfnTemplate);
    await createStack(member, MEMBER_REGION, `StackSet-${STACK}-forwarders-moto`, transformed.template, { CentralAccountId: centralAccount.accountId, CentralRegion: 'us-east-1', CentralBusName: `${STACK}-central` });
    memberBus = new EventBridgeClient({ ...clientConfig(member), region: MEMBER_REGION });
    memberSqs = new SQSClient({ ...clientConfig(member), region: MEMBER_REGION });
    for (const key of ['forward', 'heartbeat'] as const) targets[key] = (await memberBus.send(new ListTargetsByRuleCommand({ Rule: rules[key] }))).Targets ?? [];
  }, 300_000);

  afterAll(() => {
    memberBus?.destroy();
    memberSqs?.destroy();
  });

  it('deploys the member template in another account and region, its rules targeting the central bus in the central account with the forwarder role', () => {
    expect(member.accountId).not.toBe(central.account.accountId);
    const busArn = `arn:aws:events:us-east-1:${central.account.accountId}:event-bus/${STACK}-central`;
    for (const key of ['forward', 'heartbeat'] as const) {
      expect(targets[key], key).toHaveLength(1);
      expect(targets[key]![0]).toMatchObject({ Arn: busArn, RoleArn: expect.stringContaining(`:iam::${member.accountId}:role/`) });
    }
    expect(central.outputs['CentralBusArn']).toBe(busArn);
  });

  it('forwards a member CloudTrail event in eu-west-1 to the central detect and rates targets; detect names the member account and region', async () => {
    await only('forward');
    const event = memberCloudTrailEvent(member.accountId);
    const put = await memberBus.send(new PutEventsCommand({ Entries: [{ Source: String(event['source']), DetailType: String(event['detail-type']), Detail: JSON.stringify(event['detail']), Time: new Date(String(event['time'])) }] }));
    expect(put.FailedEntryCount).toBe(0);

    // Exactly one central detect rule delivered it (to detect's stand-in queue), and the rates rule to the rates queue.
    const detectFn = central.functions.get('functions/detect.handler')!;
    const delivered = await drain(central.sqs, detectFn.queueUrl);
    expect(delivered).toHaveLength(1);
    const body = JSON.parse(delivered[0]!.Body!) as unknown;
    expect(unwrapRouted(body).event).toMatchObject({ detail: { eventID: 'org-moto-0001-4b5c-9d1e-member', recipientAccountId: member.accountId, awsRegion: MEMBER_REGION } });
    const ratesQueueUrl = await queueUrlOf(central.sqs, `arn:aws:sqs:us-east-1:${central.account.accountId}:${STACK}-rates`);
    const ratesQueue = await drain(central.sqs, ratesQueueUrl);
    expect(ratesQueue.map((m) => (JSON.parse(m.Body!) as { detail: { eventID: string } }).detail.eventID)).toEqual(['org-moto-0001-4b5c-9d1e-member']);
    // The heartbeat rule on the central bus did not take a CloudTrail event.
    expect(await drain(central.sqs, central.functions.get('functions/heartbeat.handler')!.queueUrl)).toHaveLength(0);

    // The real detect handler on what arrived: one finding, naming the member account and eu-west-1.
    const alerts = await observerQueue(central.sqs, 'observer-org-alerts');
    await central.sns.send(new SubscribeCommand({ TopicArn: detectFn.environment['TRAILWATCH_ALERTS_TOPIC_ARN'], Protocol: 'sqs', Endpoint: alerts.arn }));
    const run = await withFunctionEnvironment(central, detectFn, () => invokeAsync(central, detectFn, detectHandler, body));
    expect(run.ok, run.error).toBe(true);
    const published = await drain(central.sqs, alerts.url);
    const findings = published.map((m) => JSON.parse((JSON.parse(m.Body!) as { Message: string }).Message) as Finding);
    expect(findings.map((f) => [f.detection, f.account, f.region])).toEqual([['security-group-changes', member.accountId, MEMBER_REGION]]);

    // And the rates handler takes what the central rates rule queued without a failure.
    const ratesFn = central.functions.get('functions/rates.handler')!;
    const sqsEvent = { Records: ratesQueue.map((m) => ({ messageId: m.MessageId!, body: m.Body!, attributes: { SentTimestamp: String(Date.now()) } })) } as unknown as SQSEvent;
    const res = await withFunctionEnvironment(central, ratesFn, () => ratesHandler(sqsEvent));
    expect(res.batchItemFailures).toEqual([]);
  });

  it('carries a member heartbeat through the member heartbeat rule to the central heartbeat rule, and the recorder stores it', async () => {
    await only('heartbeat');
    // moto fires no schedules: put the scheduled event's shape on the member bus, where moto's
    // match-all treatment of the schedule-only rule forwards it as the schedule would.
    const put = await memberBus.send(new PutEventsCommand({ Entries: [{ Source: 'aws.events', DetailType: 'Scheduled Event', Detail: '{}', Resources: [`arn:aws:events:${MEMBER_REGION}:${member.accountId}:rule/${rules.heartbeat}`] }] }));
    expect(put.FailedEntryCount).toBe(0);
    const recorderFn = central.functions.get('functions/heartbeat.handler')!;
    const delivered = await drain(central.sqs, recorderFn.queueUrl);
    expect(delivered).toHaveLength(1);
    // No detect or rates rule took it.
    expect(await drain(central.sqs, central.functions.get('functions/detect.handler')!.queueUrl)).toHaveLength(0);
    const beat = JSON.parse(delivered[0]!.Body!) as Record<string, unknown>;
    expect(beat).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    // moto's cross-account re-put drops `account` and sets the central region; real EventBridge
    // keeps the member's envelope (the scheduled event's account, region and rule ARN). Put back
    // exactly those three fields, as AWS delivers them, and leave the rest as moto delivered it.
    const asDelivered = { ...beat, account: member.accountId, region: MEMBER_REGION, resources: [`arn:aws:events:${MEMBER_REGION}:${member.accountId}:rule/${rules.heartbeat}`] };
    const run = await withFunctionEnvironment(central, recorderFn, () => invokeAsync(central, recorderFn, heartbeatHandler, asDelivered));
    expect(run.ok, run.error).toBe(true);
    const store = new DynamoHeartbeatStore(new DynamoDBClient(clientConfig(central.account)), recorderFn.environment['TRAILWATCH_HEARTBEAT_TABLE']!);
    const pairs = await store.list();
    expect(pairs.map((p) => [p.account, p.region, p.status])).toEqual([[member.accountId, MEMBER_REGION, 'ok']]);
    expect(pairs[0]!.lastSeenMs).toBeGreaterThan(Date.now() - 10 * 60_000);
  });
});
