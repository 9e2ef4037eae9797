import { BASELINE_IDS } from '../../shared/baseline/behaviours.ts';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import { detections } from '../../shared/detections/index.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { detectionRules, eventBridgeSource, inputTemplate, patternFor, ROUTING_LIMITS, RoutingLimitError, unapprovedRegionPattern } from '../../shared/pipeline/event-rules.ts';
import { sampleTuning } from '../helpers/events.ts';
import { sampleEvents } from '../helpers/trail-events.ts';

describe('generated detect rules', () => {
  // With the example tuning the samples are written against (approvedRegions): every detection has a rule.
  const tuning = sampleTuning();
  const rules = detectionRules(detections, ROUTING_LIMITS, tuning);
  const context = tuning;
  const samples = sampleEvents().filter((s) => !s.label.startsWith('traffic/'));
  const folderOf = (label: string): string => label.split('/')[0] ?? '';
  const fileOf = (label: string): string => label.split('/')[1] ?? '';

  it('feeds every detection in the registry from at least one rule, and wildcard detections from their own', () => {
    for (const d of detections) expect(rules.some((r) => r.detections.includes(d.id)), d.id).toBe(true);
    const rootRules = rules.filter((r) => r.detections.includes('root-activity'));
    expect(rootRules.map((r) => r.route)).toEqual(['wildcard:root-activity']);
  });

  it('gives a detection that needs tuning no rule without it (zero configuration sends it nothing), and one with it', () => {
    const zero = detectionRules(detections);
    const needing = detections.filter((d) => d.needsTuning).map((d) => d.id);
    expect(needing).toEqual(['unused-region-activity']);
    for (const id of needing) {
      expect(zero.some((r) => r.detections.includes(id)), id).toBe(false);
      expect(rules.filter((r) => r.detections.includes(id)).map((r) => r.route)).toEqual([`wildcard:${id}`]);
    }
    // Every other rule is the same with or without the tuning.
    expect(rules.filter((r) => !r.detections.some((id) => needing.includes(id)))).toEqual(zero);
  });

  it('unused-region-activity: the tuned rule skips approved regions per account, sign-in regions for sign-ins, and read-only events (state ENABLED)', () => {
    const rule = rules.find((r) => r.route === 'wildcard:unused-region-activity');
    expect(rule?.state).toBe('ENABLED');
    const envelope = (account: string, region: string, detailType = 'AWS API Call via CloudTrail', source = 'aws.ec2') => ({ source, 'detail-type': detailType, account, region, detail: { recipientAccountId: account, awsRegion: region, eventSource: 'ec2.amazonaws.com' } });
    const delivers = (e: unknown) => matchesPattern(rule?.pattern ?? {}, e);
    expect(delivers(envelope('111122223333', 'sa-east-1'))).toBe(true);
    expect(delivers(envelope('111122223333', 'us-west-2'))).toBe(false);
    expect(delivers(envelope('333344445555', 'us-west-2'))).toBe(true); // its own list: eu-west-1 only
    expect(delivers(envelope('333344445555', 'eu-west-1'))).toBe(false);
    expect(delivers(envelope('111122223333', 'eu-north-1', 'AWS Console Sign In via CloudTrail', 'aws.signin'))).toBe(false);
    expect(delivers(envelope('111122223333', 'eu-south-1', 'AWS Console Sign In via CloudTrail', 'aws.signin'))).toBe(true);
    expect(delivers({ ...envelope('111122223333', 'sa-east-1'), 'detail-type': 'AWS Service Event via CloudTrail' })).toBe(false);
    expect(unapprovedRegionPattern(undefined)).toBeUndefined();
    expect(unapprovedRegionPattern({})).toBeUndefined();
  });

  it('fails generation when an approvedRegions list is too large for one pattern', () => {
    const accounts = Array.from({ length: 60 }, (_, i) => ({ id: String(100000000000 + i), regions: [`eu-west-${(i % 3) + 1}`, `us-east-${i}`] }));
    expect(() => detectionRules(detections, ROUTING_LIMITS, { approvedRegions: { regions: ['us-east-1'], accounts } })).toThrow(RoutingLimitError);
  });

  it('uses far fewer rules than detections', () => {
    expect(rules.length).toBeLessThan(detections.length / 2);
  });

  for (const d of detections) {
    const positives = samples.filter((s) => folderOf(s.label) === d.id && fileOf(s.label).startsWith('positive-'));
    it(`${d.id}: a rule feeding it delivers each of its ${positives.length} positive sample(s)`, () => {
      expect(positives.length).toBeGreaterThan(0);
      const feeding = rules.filter((r) => r.detections.includes(d.id));
      for (const s of positives) expect({ file: s.label, matched: feeding.some((r) => matchesPattern(r.pattern, s.event)) }).toEqual({ file: s.label, matched: true });
    });

    it(`${d.id}: its own pattern delivers no sample of a service it does not watch`, () => {
      const pattern = rules.find((r) => r.route === `wildcard:${d.id}`)?.pattern ?? patternFor(d.matches, d.id);
      const watched = new Set(d.matches.flatMap((m) => m.eventSource));
      const foreign = samples.filter((s) => {
        const detail = s.event['detail'] as Record<string, unknown> | undefined;
        const ut = (detail?.['userIdentity'] as Record<string, unknown> | undefined)?.['type'];
        // root-activity watches every service for Root callers: foreign = non-root callers.
        return !watched.has(String(detail?.['eventSource'])) && !(watched.has('*') && ut === 'Root');
      });
      const delivered = foreign.filter((s) => matchesPattern(pattern, s.event)).map((s) => s.label);
      if (watched.has('*')) {
        // A wildcard rule is narrowed by something other than the service (root caller, user agent,
        // instance session, detector detail-type): it may deliver a foreign sample only when the
        // detection fires on it (AssumeRoot for root-activity), or when the sample is one of its own
        // negative lookalikes (same narrowing, decided inside the detection).
        for (const path of delivered.filter((p) => !p.startsWith(`${d.id}/negative-`))) {
          const s = samples.find((x) => x.label === path);
          const normalized = normalize(s?.event);
          const fires = normalized.ok && d.detect(normalized.event, context).length > 0;
          expect({ path, fires: fires || /assume-?root/i.test(path) }).toEqual({ path, fires: true });
        }
      } else expect(delivered).toEqual([]);
    });
  }

  it('every positive sample is delivered by at least one rule (no sample is unroutable)', () => {
    // Baseline sequences (events/<behaviour>/) reach the rates function through the rates rule, not a detect rule.
    const unrouted = samples.filter((s) => fileOf(s.label).startsWith('positive-') && !BASELINE_IDS.some((id) => s.label.startsWith(`${id}/`)) && !rules.some((r) => matchesPattern(r.pattern, s.event))).map((s) => s.label);
    expect(unrouted).toEqual([]);
  });

  it('no sample reaches two named rules (they partition the watched pairs)', () => {
    const twice = samples.filter((s) => rules.filter((r) => r.route === 'named' && matchesPattern(r.pattern, s.event)).length > 1).map((s) => s.label);
    expect(twice).toEqual([]);
  });

  it('a sign-in pattern uses the console sign-in detail-type and source aws.signin', () => {
    expect(patternFor([{ eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] }])).toEqual({
      source: ['aws.signin'],
      'detail-type': ['AWS Console Sign In via CloudTrail'],
      detail: { eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] },
    });
  });

  it('keeps names of different services apart with $or (exact, not a cross product)', () => {
    const [rule] = detectionRules([
      { id: 'a', matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['PutUserPolicy'] }] },
      { id: 'b', matches: [{ eventSource: ['s3.amazonaws.com'], eventName: ['PutBucketPolicy'] }] },
    ]);
    const call = (source: string, eventSource: string, eventName: string) => ({ source, 'detail-type': 'AWS API Call via CloudTrail', detail: { eventSource, eventName } });
    expect(matchesPattern(rule!.pattern, call('aws.iam', 'iam.amazonaws.com', 'PutUserPolicy'))).toBe(true);
    expect(matchesPattern(rule!.pattern, call('aws.s3', 's3.amazonaws.com', 'PutBucketPolicy'))).toBe(true);
    expect(matchesPattern(rule!.pattern, call('aws.iam', 'iam.amazonaws.com', 'PutBucketPolicy'))).toBe(false);
  });

  it('refuses a wildcard detection that has no narrowing (it would route every event to Lambda)', () => {
    expect(() => patternFor([{ eventSource: ['*'], eventName: ['*'] }], 'new-wildcard-detection')).toThrow(/WILDCARD_RULES/);
  });

  it('maps eventSource hosts to EventBridge sources', () => {
    expect(eventBridgeSource('iam.amazonaws.com')).toBe('aws.iam');
    expect(eventBridgeSource('signin.amazonaws.com')).toBe('aws.signin');
    expect(eventBridgeSource('monitoring.amazonaws.com')).toBe('aws.cloudwatch');
  });

  it('a rule that names a read-only API asks for all management events', () => {
    expect(detectionRules([{ id: 'x', matches: [{ eventSource: ['secretsmanager.amazonaws.com'], eventName: ['GetSecretValue'] }] }])[0]?.state).toBe(
      'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    );
    expect(detectionRules([{ id: 'y', matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['CreateUser'] }] }])[0]?.state).toBe('ENABLED');
  });

  it('fails generation instead of deploying a rule EventBridge would refuse', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, matches: [{ eventSource: [`svc${i}.amazonaws.com`], eventName: ['CreateThing', 'DeleteThing'] }] }));
    expect(() => detectionRules(many, { maxPatternChars: 300, maxRules: 10 })).toThrow(RoutingLimitError);
    expect(() => detectionRules([{ id: 'z', matches: [{ eventSource: ['x.amazonaws.com'], eventName: ['N'.repeat(400)] }] }], { maxPatternChars: 300, maxRules: 10 })).toThrow(
      RoutingLimitError,
    );
  });

  it('wraps the whole event with the route in the target input', () => {
    const filled = inputTemplate('named').replace('<aws.events.event.json>', JSON.stringify({ id: 'e', detail: { a: 1 } }));
    expect(JSON.parse(filled)).toEqual({ trailwatch: { route: 'named' }, event: { id: 'e', detail: { a: 1 } } });
  });
});

describe('rule names', () => {
  it('shortens long suffixes with a hash, keeping names unique and ≤ 64 characters', async () => {
    const { shortSuffix } = await import('../../scripts/event-rules.ts');
    const stack = 'trailwatch-production-eu-west-1';
    const a = shortSuffix(`detect-w-${'x'.repeat(60)}-one`, stack);
    const b = shortSuffix(`detect-w-${'x'.repeat(60)}-two`, stack);
    expect(a).not.toBe(b);
    expect(`${stack}-${a}`.length).toBeLessThanOrEqual(64);
    expect(shortSuffix('detect-named-01', stack)).toBe('detect-named-01');
    expect(() => shortSuffix('d-x', 'y'.repeat(60))).toThrow(/64 characters/);
  });
});
