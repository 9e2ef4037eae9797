import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraForwardedPatterns, extraForwardRuleId, forwardedPattern, memberTemplate } from '../../scripts/member-template.ts';
import { ForwarderDeploymentError, forwarderRequests, stackSetName } from '../../scripts/org-forwarders.ts';
import { detections } from '../../shared/detections/index.ts';
import { detect as trailTampering } from '../../shared/detections/trail-tampering.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { detectionRules } from '../../shared/pipeline/event-rules.ts';
import { EVENTS_DIR, readJson, sampleEvent } from '../helpers/events.ts';

type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
const template = memberTemplate({ stackName: 'trailwatch-prod' }) as { Resources: Record<string, Resource>; Conditions: Record<string, unknown> };
const R = template.Resources;

describe('member forwarder template (generated from the rule definitions)', () => {
  it('forwards every event a detection fires on: every positive sample of every detection matches a forwarding rule', () => {
    const patterns = Object.values(R).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties['EventPattern']).map((r) => r.Properties['EventPattern']);
    let positives = 0;
    for (const d of detections) {
      const dir = join(EVENTS_DIR, d.id);
      for (const f of readdirSync(dir).filter((n) => n.startsWith('positive-'))) {
        const event = readJson(join(dir, f));
        expect(patterns.filter((p) => matchesPattern(p, event)).length, `${d.id}/${f}`).toBe(1);
        positives++;
      }
    }
    expect(positives).toBeGreaterThan(30);
  });

  it('forwards nothing more: data events, scheduled events and other services’ events stay in the member account', () => {
    const base = readJson(join(EVENTS_DIR, 'trail-tampering', 'positive-disable-trailwatch-rule.json')) as Record<string, Record<string, unknown>>;
    expect(matchesPattern(forwardedPattern, { ...base, detail: { ...base['detail'], eventCategory: 'Data', eventName: 'GetObject' } })).toBe(false);
    expect(matchesPattern(forwardedPattern, { ...base, 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toBe(false);
    expect(matchesPattern(forwardedPattern, { ...base, 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: { state: 'running' } })).toBe(false);
  });

  it('uses one forwarding rule for CloudTrail so an event crosses to the central bus once (exactly-once per detection), with the read-only state', () => {
    const rules = Object.entries(R).filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties['EventPattern']);
    const extra = extraForwardedPatterns();
    expect(rules.map(([id]) => id)).toEqual(['ForwardRule', ...extra.map((x) => extraForwardRuleId(x.key))]);
    // Other detectors' findings are forwarded by the detect rule's own pattern: nothing wider.
    for (const x of extra) expect(R[extraForwardRuleId(x.key)]!.Properties['EventPattern']).toEqual(x.pattern);
    const p = rules[0]![1].Properties;
    expect(p['EventPattern']).toEqual(forwardedPattern);
    expect(p['State']).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(String(p['Name']).startsWith('trailwatch-prod-')).toBe(true);
    // Each central detect rule sees only events the forwarder sends (detail-types are a subset).
    for (const g of detectionRules(detections)) {
      if (extra.some((x) => x.key === g.key)) continue;
      const branches = (g.pattern['$or'] as Array<Record<string, unknown>> | undefined) ?? [g.pattern];
      for (const b of branches) for (const t of b['detail-type'] as string[]) expect(forwardedPattern['detail-type'], g.key).toContain(t);
    }
  });

  it('gives EventBridge a role that can only PutEvents on the central bus, and a dead-letter queue per target', () => {
    const role = R['ForwarderRole']!.Properties as { AssumeRolePolicyDocument: { Statement: Array<{ Principal: unknown; Condition: unknown }> }; Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } }> };
    expect(role.AssumeRolePolicyDocument.Statement[0]!.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(role.AssumeRolePolicyDocument.Statement[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([{ Sid: 'CentralBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${CentralRegion}:${CentralAccountId}:event-bus/${CentralBusName}' } }]);
    for (const id of ['ForwardRule', ...extraForwardedPatterns().map((x) => extraForwardRuleId(x.key)), 'HeartbeatRule']) {
      const [t] = R[id]!.Properties['Targets'] as Array<Record<string, unknown>>;
      expect(t!['RoleArn'], id).toEqual({ 'Fn::GetAtt': ['ForwarderRole', 'Arn'] });
      expect(t!['DeadLetterConfig'], id).toEqual({ Arn: { 'Fn::GetAtt': ['ForwarderDlq', 'Arn'] } });
    }
    expect(R['HeartbeatRule']!.Properties['ScheduleExpression']).toBe('rate(5 minutes)');
  });

  it('creates nothing but a placeholder in the central account’s home region (its default bus already feeds the detections)', () => {
    for (const [id, r] of Object.entries(R)) expect(r.Condition, id).toBe(id === 'CentralHomeNothingToForward' ? 'IsCentralHome' : 'Forwards');
    expect(template.Conditions['Forwards']).toEqual({ 'Fn::Not': [{ Condition: 'IsCentralHome' }] });
  });

  it('passes cfn-lint', ({ skip }) => {
    if (spawnSync('cfn-lint', ['--version']).status !== 0) {
      // As for the central stack (test/infra/cfn-lint.test.ts): CI's image has cfn-lint, so its absence there is a failure.
      if (process.env['CI'] === 'true' || process.env['CI'] === '1') expect.fail('cfn-lint is not on PATH; CI must lint the member template');
      skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'tw-member-'));
    try {
      const file = join(dir, 'member.json');
      writeFileSync(file, JSON.stringify(template));
      const run = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('org-forwarders: the StackSet deployment step', () => {
  const ok = { stackName: 'trailwatch-prod', centralAccountId: '111122223333', centralRegion: 'us-east-1', organizationalUnitIds: ['r-ab12'], regions: ['us-east-1', 'us-east-2', 'eu-north-1', 'ap-southeast-2', 'eu-west-1'], callAs: 'DELEGATED_ADMIN' as const };

  it('creates a service-managed StackSet with automatic deployment to the OUs in every region', () => {
    const { stackSet, instances } = forwarderRequests(ok);
    expect(stackSet).toMatchObject({ StackSetName: 'trailwatch-prod-forwarders', PermissionModel: 'SERVICE_MANAGED', AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false }, CallAs: 'DELEGATED_ADMIN', Capabilities: ['CAPABILITY_IAM'] });
    expect(JSON.parse(stackSet.TemplateBody!)).toEqual(memberTemplate({ stackName: 'trailwatch-prod' }));
    expect(instances).toMatchObject({ DeploymentTargets: { OrganizationalUnitIds: ['r-ab12'] }, Regions: ['us-east-1', 'us-east-2', 'eu-north-1', 'ap-southeast-2', 'eu-west-1'] });
  });

  it('refuses a deployment that would leave events unforwarded or go to the wrong place', () => {
    expect(() => forwarderRequests({ ...ok, regions: ['eu-west-1'] })).toThrow(ForwarderDeploymentError);
    // IAM users' console sign-ins can be logged in us-east-2, eu-north-1 and ap-southeast-2 too: each
    // one left out is named, and only an explicit override deploys without them.
    expect(() => forwarderRequests({ ...ok, regions: ['us-east-1', 'eu-north-1', 'eu-west-1'] })).toThrow(/leaves out us-east-2, ap-southeast-2:/);
    expect(() => forwarderRequests({ ...ok, regions: ['us-east-1', 'us-east-2', 'ap-southeast-2'] })).toThrow(/leaves out eu-north-1:/);
    expect(forwarderRequests({ ...ok, regions: ['us-east-1', 'eu-west-1'], allowMissingSignInRegions: true }).instances.Regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(() => forwarderRequests({ ...ok, regions: [] })).toThrow(/regions/);
    expect(() => forwarderRequests({ ...ok, organizationalUnitIds: [] })).toThrow(/--ou/);
    expect(() => forwarderRequests({ ...ok, centralAccountId: '1111' })).toThrow(/12-digit/);
  });

  it('names the StackSet so that deleting its instances is reported as Trailwatch tampering', () => {
    const e = sampleEvent('trail-tampering', 'positive-delete-forwarder-stack-instances');
    expect(e.requestParameters?.['stackSetName']).toBe(stackSetName('trailwatch-prod'));
    expect(trailTampering(e, { self: { stackName: 'trailwatch-prod' } })).toHaveLength(1);
  });
});
