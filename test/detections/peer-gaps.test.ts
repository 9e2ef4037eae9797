import { describe, expect, it } from 'vitest';
import { detection as ecs } from '../../shared/detections/ecs-suspicious-task.ts';
import { detection as secrets } from '../../shared/detections/secrets-batch-retrieval.ts';
import { sampleEvent } from '../helpers/events.ts';

// Gaps the peer comparison (docs/peer-coverage.md) found and closed: the grading of each sample.
describe('secrets-batch-retrieval', () => {
  it('grades a filter sweep medium and a named batch low, and ignores denied calls and single reads', () => {
    const sweep = secrets.detect(sampleEvent('secrets-batch-retrieval', 'positive-filter-sweep'));
    expect(sweep.map((f) => [f.severity, f.details['filters']])).toEqual([['medium', 'name=prod/']]);
    const named = secrets.detect(sampleEvent('secrets-batch-retrieval', 'positive-named-secrets'));
    expect(named.map((f) => [f.severity, f.details['secretCount']])).toEqual([['low', 3]]);
    expect(secrets.detect(sampleEvent('secrets-batch-retrieval', 'negative-denied'))).toEqual([]);
    expect(secrets.detect(sampleEvent('secrets-batch-retrieval', 'negative-single-get'))).toEqual([]);
  });

  it('reports nothing for a batch call with neither filters nor names (no secrets returned)', () => {
    const e = sampleEvent('secrets-batch-retrieval', 'positive-named-secrets');
    expect(secrets.detect({ ...e, requestParameters: {} })).toEqual([]);
  });
});

describe('ecs-suspicious-task', () => {
  it('reports a task definition that reads the credentials endpoint, as inherently risky', () => {
    const [f, ...rest] = ecs.detect(sampleEvent('ecs-suspicious-task', 'positive-credential-endpoint-curl'));
    expect(rest).toEqual([]);
    expect(f?.severity).toBe('high');
    expect(f?.inherentRisk).toMatch(/credentials/);
    expect(String(f?.details['matched'])).toContain('169.254.170.2');
    expect(f?.title).toContain('batch-report');
  });

  it('reports a RunTask whose container override mines', () => {
    const found = ecs.detect(sampleEvent('ecs-suspicious-task', 'positive-miner-override'));
    expect(found.map((f) => [f.severity, f.details['effect']])).toEqual([['high', 'task launched with a container override that runs a cryptocurrency miner']]);
  });

  it('stays quiet for ordinary deploys, plain launches and denied attempts', () => {
    for (const name of ['negative-web-service', 'negative-plain-run-task', 'negative-denied']) {
      expect(ecs.detect(sampleEvent('ecs-suspicious-task', name)), name).toEqual([]);
    }
  });

  it('reads the environment and image too, and never throws on odd shapes', () => {
    const e = sampleEvent('ecs-suspicious-task', 'negative-web-service');
    const withEnv = { ...e, requestParameters: { family: 'web', containerDefinitions: [{ name: 'w', image: 'nginx', environment: [{ name: 'CREDS', value: 'curl 169.254.170.2/v2/credentials' }] }] } };
    expect(ecs.detect(withEnv).map((f) => f.severity)).toEqual(['high']);
    const minerImage = { ...e, requestParameters: { family: 'x', containerDefinitions: [{ name: 'x', image: 'docker.io/someone/xmrig:latest' }] } };
    expect(ecs.detect(minerImage)).toHaveLength(1);
    for (const odd of [null, 'text', { containerDefinitions: 'nope' }, { containerDefinitions: [null, 3, { command: 'not-a-list' }] }]) {
      expect(ecs.detect({ ...e, requestParameters: odd as never })).toEqual([]);
    }
  });
});

describe('gaps closed in existing detections', () => {
  it('rds-changes: an instance created publicly accessible is high, a private one is quiet', async () => {
    const { detection: rds } = await import('../../shared/detections/rds-changes.ts');
    const [pub] = rds.detect(sampleEvent('rds-changes', 'positive-created-public'));
    expect(pub).toMatchObject({ severity: 'high', details: { effect: 'RDS instance created publicly accessible', resource: 'reporting-replica' } });
    expect(pub?.inherentRisk).toBeDefined();
    expect(rds.detect(sampleEvent('rds-changes', 'negative-created-private'))).toEqual([]);
  });

  it('monitoring-tampering: a web ACL detached from its load balancer is high, naming the resource', async () => {
    const { detection: mon } = await import('../../shared/detections/monitoring-tampering.ts');
    const found = mon.detect(sampleEvent('monitoring-tampering', 'positive-web-acl-disassociated'));
    expect(found.map((f) => [f.severity, f.details['resource']])).toEqual([['high', 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shop-frontend/50dc6c495c0c9188']]);
  });
});
