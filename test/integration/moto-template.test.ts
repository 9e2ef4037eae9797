import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CfnTemplate, MotoTemplateError, TRANSFORMATIONS, motoTemplate } from './moto-template.ts';
import { PACKAGED_TEMPLATE } from './moto-stack.ts';

// The transformation itself, without moto: it must change only what moto cannot create, by
// resource type, and refuse a template it would break.

const REMOVED = ['AWS::Lambda::Version', 'AWS::Lambda::Permission', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::EventSourceMapping', 'AWS::SNS::Subscription', 'AWS::SQS::QueuePolicy', 'AWS::S3::BucketPolicy', 'AWS::CloudWatch::Alarm'];

describe.skipIf(!existsSync(PACKAGED_TEMPLATE))('moto-template on the packaged template (run `serverless package --stage ci` first)', () => {
  const packaged = existsSync(PACKAGED_TEMPLATE) ? (JSON.parse(readFileSync(PACKAGED_TEMPLATE, 'utf8')) as CfnTemplate) : { Resources: {} };
  const before = JSON.stringify(packaged);
  const out = motoTemplate(packaged);
  const types = (t: CfnTemplate) => Object.values(t.Resources).map((r) => r.Type);

  it('does not modify its input', () => {
    expect(JSON.stringify(packaged)).toBe(before);
  });

  it('leaves no resource type moto cannot create, and no Lambda function', () => {
    for (const type of [...REMOVED, 'AWS::Lambda::Function']) expect(types(out.template)).not.toContain(type);
    expect(out.changes.every((c) => c.transformation in TRANSFORMATIONS)).toBe(true);
  });

  it('turns every function into a queue named after it, keeping its logical id (so rule targets and GetAtt Arn still point at it)', () => {
    const functions = Object.entries(packaged.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(out.functions.map((f) => f.logicalId).sort()).toEqual(functions.map(([id]) => id).sort());
    for (const [id, r] of functions) expect(out.template.Resources[id]).toEqual({ Type: 'AWS::SQS::Queue', Properties: { QueueName: `${String(r.Properties?.['FunctionName'])}-invocations` } });
  });

  it('keeps every other resource as packaged, except references to a bus, an alarm or a function and DependsOn on removed ones', () => {
    const changedIds = new Set(out.changes.filter((c) => c.transformation !== 'bus-ref-as-name').map((c) => c.logicalId));
    const rewritable = new Set(Object.entries(packaged.Resources).filter(([, r]) => ['AWS::Events::EventBus', 'AWS::CloudWatch::Alarm', 'AWS::Lambda::Function'].includes(r.Type)).map(([id]) => id));
    const isRewritableRef = (v: unknown): boolean => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      const id = typeof o['Ref'] === 'string' ? o['Ref'] : Array.isArray(o['Fn::GetAtt']) ? o['Fn::GetAtt'][0] : undefined;
      return typeof id === 'string' && rewritable.has(id);
    };
    /** Paths where `after` differs from `before` other than by an allowed rewrite. */
    const diff = (before: unknown, after: unknown, path: string, out: string[]): string[] => {
      if (JSON.stringify(before) === JSON.stringify(after) || isRewritableRef(before)) return out;
      if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null || Array.isArray(before) !== Array.isArray(after)) {
        out.push(path);
        return out;
      }
      const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
      for (const k of keys) if (!(path.endsWith('.DependsOn') || k === 'DependsOn')) diff((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], `${path}.${k}`, out);
      return out;
    };
    for (const [id, r] of Object.entries(packaged.Resources)) {
      if (changedIds.has(id)) continue;
      expect({ id, differs: diff(r, out.template.Resources[id], id, []) }).toEqual({ id, differs: [] });
    }
  });

  it('hands the harness every trigger the template declares', () => {
    const count = (type: string) => types(packaged).filter((t) => t === type).length;
    expect(out.subscriptions).toHaveLength(count('AWS::SNS::Subscription'));
    expect(out.queueTriggers).toHaveLength(count('AWS::Lambda::EventSourceMapping'));
    expect(out.functions.filter((f) => f.asyncInvoke)).toHaveLength(count('AWS::Lambda::EventInvokeConfig'));
    expect(JSON.stringify(out.template)).not.toMatch(/"Ref":"FindingsBus"/);
  });
});

describe('moto-template on small templates', () => {
  const alarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'stack-heartbeat' } };

  it('replaces a GetAtt of an alarm Arn by the documented alarm ARN and a Ref by the alarm name', () => {
    const out = motoTemplate({
      Resources: {
        Heartbeat: alarm,
        Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { A: { 'Fn::GetAtt': ['Heartbeat', 'Arn'] }, B: { Ref: 'Heartbeat' } } },
      },
    });
    expect(out.template.Resources['Dashboard']?.Properties).toEqual({
      A: { 'Fn::Sub': ['arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${Name}', { Name: 'stack-heartbeat' }] },
      B: 'stack-heartbeat',
    });
  });

  it('replaces a Ref to a bus by its Name (moto gives an empty Ref)', () => {
    const out = motoTemplate({
      Resources: { Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'b' } }, Rule: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { Ref: 'Bus' } } } },
    });
    expect(out.template.Resources['Rule']?.Properties?.['EventBusName']).toBe('b');
  });

  it('drops DependsOn on removed resources and outputs that refer to them', () => {
    const out = motoTemplate({
      Resources: { Q: { Type: 'AWS::SQS::Queue', DependsOn: ['P'] }, P: { Type: 'AWS::SQS::QueuePolicy', Properties: { Queues: [{ Ref: 'Q' }] } } },
      Outputs: { PolicyId: { Value: { Ref: 'P' } }, QueueUrl: { Value: { Ref: 'Q' } } },
    });
    expect(out.template.Resources['Q']).toEqual({ Type: 'AWS::SQS::Queue' });
    expect(Object.keys(out.template.Outputs ?? {})).toEqual(['QueueUrl']);
  });

  it('refuses a kept resource that still needs a removed one', () => {
    expect(() =>
      motoTemplate({ Resources: { P: { Type: 'AWS::Lambda::Permission', Properties: {} }, T: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::GetAtt': ['P', 'Id'] } } } } }),
    ).toThrow(MotoTemplateError);
  });

  it('refuses a subscription protocol it has no stand-in for', () => {
    expect(() => motoTemplate({ Resources: { S: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'https', Endpoint: 'https://example.com', TopicArn: 'arn' } } } })).toThrow(/no stand-in/);
  });
});
