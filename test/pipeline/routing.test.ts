import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import type { Detection, DetectionContext } from '../../shared/detections/types.ts';
import type { Finding } from '../../shared/model/types.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { type DetectionRule, detectionRules, inputTemplate, patternFor, ROUTING_LIMITS, RoutingLimitError, usesWildcardOperator } from '../../shared/pipeline/event-rules.ts';
import { sampleTuning } from '../helpers/events.ts';
import { createRouter, unwrapRouted } from '../../shared/pipeline/routing.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { rng } from '../helpers/rng.ts';
import { externalEvents, type LabelledEvent, sampleEvents } from '../helpers/trail-events.ts';

/**
 * Exactly once: every (detection, CloudTrail event) finding that replay produces is produced by the
 * deployed routing exactly once — each event goes through every generated rule whose pattern
 * matches (our EventBridge matcher), each match is one detect invocation with that rule's target
 * input, and detect runs what the route selects.
 */

/** What EventBridge hands detect for one matching rule: the rule's InputTemplate filled in. */
function targetInput(rule: Pick<DetectionRule, 'route'>, event: unknown): unknown {
  return JSON.parse(inputTemplate(rule.route).replace('<aws.events.event.json>', JSON.stringify(event)));
}

const key = (f: Finding): string => `${f.detection} | ${f.eventId} | ${f.severity} | ${f.title}`;

function tally(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

interface Outcome {
  replay: Map<string, number>;
  deployed: Map<string, number>;
  invocations: number;
  countedEvents: number;
}

function compare(events: LabelledEvent[], registry: readonly Detection[], rules: readonly DetectionRule[], context?: DetectionContext): Outcome {
  const router = createRouter(registry);
  const replay: string[] = [];
  const deployed: string[] = [];
  let invocations = 0;
  let countedEvents = 0;
  for (const { event } of events) {
    replay.push(...runDetections([{ value: event }], registry, context).findings.map(key));
    for (const rule of rules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      invocations++;
      const routed = unwrapRouted(targetInput(rule, event));
      const selection = router(routed);
      if (selection.countsEvent) countedEvents++;
      deployed.push(...runDetections([{ value: routed.event }], selection.detections, context).findings.map(key));
    }
  }
  return { replay: tally(replay), deployed: tally(deployed), invocations, countedEvents };
}

function expectExactlyOnce(outcome: Outcome): void {
  const duplicated = [...outcome.deployed].filter(([, n]) => n > 1).map(([k, n]) => `${n}x ${k}`);
  const missing = [...outcome.replay.keys()].filter((k) => !outcome.deployed.has(k));
  const extra = [...outcome.deployed.keys()].filter((k) => !outcome.replay.has(k));
  expect({ duplicated, missing, extra }).toEqual({ duplicated: [], missing: [], extra: [] });
  // Replay itself yields each finding once per event (samples have unique eventIDs).
  expect([...outcome.replay.values()].every((n) => n === 1)).toBe(true);
}

describe('exactly-once routing through the generated rules', () => {
  const rules = detectionRules(detections);
  const samples = sampleEvents();

  it('every sample finding reaches the findings bus exactly once, and nothing replay does not report', () => {
    const outcome = compare(samples, detections, rules);
    expect(outcome.replay.size).toBeGreaterThan(50);
    expectExactlyOnce(outcome);
  });

  it('counts each delivered sample event once in EventsProcessed, however many rules it matched', () => {
    const delivered = samples.filter((s) => rules.some((r) => matchesPattern(r.pattern, s.event)));
    const outcome = compare(samples, detections, rules);
    expect(outcome.invocations).toBeGreaterThan(delivered.length); // some samples do match two rules…
    expect(outcome.countedEvents).toBe(delivered.length); // …and are still counted once
  });

  it('holds with the example tuning too: the approvedRegions rule and the detection agree on every sample', () => {
    const tuning = sampleTuning();
    const outcome = compare(samples, detections, detectionRules(detections, ROUTING_LIMITS, tuning), tuning);
    expect([...outcome.replay.keys()].filter((k) => k.startsWith('unused-region-activity |')).length).toBeGreaterThanOrEqual(4);
    expectExactlyOnce(outcome);
  });

  it('holds on real CloudTrail logs (Invictus, Stratus) when they are beside the project', () => {
    const external = externalEvents();
    if (external.length === 0) return;
    expectExactlyOnce(compare(external, detections, rules));
  });

  it('the harness catches duplicates: one rule per detection, each running every detection, repeats findings', () => {
    // The design this replaced: a ConsoleLogin matched three rules, a root policy change two.
    const naive = detections.map((d) => ({ key: d.id, route: 'all', pattern: patternFor(d.matches, d.id) }));
    const router = createRouter(detections);
    let repeated = 0;
    for (const { event } of samples) {
      const seen = new Map<string, number>();
      for (const r of naive) {
        if (!matchesPattern(r.pattern, event)) continue;
        const ran = router(unwrapRouted(event)).detections; // a bare event: every detection
        for (const f of runDetections([{ value: event }], ran).findings) seen.set(key(f), (seen.get(key(f)) ?? 0) + 1);
      }
      repeated += [...seen.values()].filter((n) => n > 1).length;
    }
    expect(repeated).toBeGreaterThan(10);
  });
});

describe('routing scales to several hundred detections within EventBridge quotas', () => {
  // A seeded synthetic registry: 400 detections over 120 services, names shared between detections
  // (as real ones share PutBucketPolicy or ConsoleLogin), read-only names, plus the real wildcard one.
  const random = rng(8);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const services = Array.from({ length: 120 }, (_, i) => `svc${String(i).padStart(3, '0')}${i % 7 === 0 ? '-with-a-long-endpoint-name' : ''}.amazonaws.com`);
  const verbs = ['Create', 'Delete', 'Put', 'Update', 'Attach', 'Detach', 'Disable', 'Enable', 'Get', 'List', 'Describe', 'Modify', 'Stop', 'Start'];
  const nouns = ['Policy', 'Bucket', 'Key', 'Trail', 'Group', 'Rule', 'Instance', 'Role', 'User', 'Secret', 'Endpoint', 'Configuration', 'PermissionSet'];
  const synthetic: Detection[] = Array.from({ length: 400 }, (_, i) => {
    const matches = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      eventSource: [pick(services)],
      eventName: Array.from({ length: 1 + Math.floor(random() * 8) }, () => `${pick(verbs)}${pick(nouns)}${random() < 0.3 ? 'Attributes' : ''}`),
    }));
    return {
      id: `synthetic-${i}`,
      title: `synthetic ${i}`,
      severity: 'low',
      description: 'synthetic',
      matches,
      references: {},
      runbook: '',
      detect: (event) =>
        matches.some((m) => m.eventSource.includes(event.source) && m.eventName.includes(event.name))
          ? [{ detection: `synthetic-${i}`, eventId: event.id, severity: 'low', title: `synthetic ${i} on ${event.name}` } as unknown as Finding]
          : [],
    } as Detection;
  });
  const rootActivity = detections.find((d) => d.id === 'root-activity')!;
  const registry = [...synthetic, rootActivity];
  const rules = detectionRules(registry);

  const pairs = [...new Set(synthetic.flatMap((d) => d.matches.flatMap((m) => m.eventSource.flatMap((s) => m.eventName.map((n) => `${s} ${n}`)))))];
  const call = (pair: string, type = 'IAMUser'): Record<string, unknown> => {
    const [eventSource, eventName] = pair.split(' ') as [string, string];
    return {
      version: '0',
      id: pair,
      'detail-type': 'AWS API Call via CloudTrail',
      source: `aws.${eventSource.replace('.amazonaws.com', '')}`,
      account: '111122223333',
      time: '2026-11-30T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        eventVersion: '1.09',
        eventID: `id-${pair}-${type}`,
        eventTime: '2026-11-30T10:00:00Z',
        eventSource,
        eventName,
        awsRegion: 'us-east-1',
        eventType: 'AwsApiCall',
        userIdentity: type === 'Root' ? { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' } : { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
      },
    };
  };

  it('stays inside the pattern-size budget and the rule budget', () => {
    expect(pairs.length).toBeGreaterThan(1500);
    expect(rules.length).toBeLessThanOrEqual(60);
    for (const r of rules) expect(JSON.stringify(r.pattern).length, r.key).toBeLessThanOrEqual(1800);
  });

  it('puts every watched (eventSource, eventName) pair in exactly one named rule', () => {
    const named = rules.filter((r) => r.route === 'named');
    const wrong = pairs.filter((p) => named.filter((r) => matchesPattern(r.pattern, call(p))).length !== 1);
    expect(wrong).toEqual([]);
    expect(named.some((r) => matchesPattern(r.pattern, call('svc001.amazonaws.com NotWatchedAtAll')))).toBe(false);
  });

  it('produces each synthetic finding exactly once, for IAM users and for root (named and wildcard rules overlap)', () => {
    const events = pairs.slice(0, 400).flatMap((p) => [{ label: p, event: call(p) }, { label: `${p} root`, event: call(p, 'Root') }]);
    const outcome = compare(events, registry, rules);
    expect(outcome.replay.size).toBeGreaterThan(800);
    expectExactlyOnce(outcome);
    expect(outcome.countedEvents).toBe(events.length);
  });
});

describe('rules using the wildcard operator stay inside their own quota (30 per bus, not adjustable)', () => {
  it('the registry detect rules use the operator in at most the budgeted number of rules, each a wildcard detection rule', () => {
    const rules = detectionRules(detections);
    const withWildcard = rules.filter((r) => usesWildcardOperator(r.pattern));
    expect(withWildcard.length).toBeGreaterThan(0); // offensive-tool-user-agent, instance-credentials-elsewhere
    expect(withWildcard.length).toBeLessThanOrEqual(ROUTING_LIMITS.maxWildcardOperatorRules);
    expect(withWildcard.every((r) => r.route.startsWith('wildcard:'))).toBe(true);
  });

  it('finds the operator at any depth and nowhere else', () => {
    expect(usesWildcardOperator({ detail: { userIdentity: { principalId: [{ wildcard: '*:i-*' }] } } })).toBe(true);
    expect(usesWildcardOperator({ $or: [{ source: ['aws.iam'] }, { detail: { userAgent: [{ wildcard: '*pacu*' }] } }] })).toBe(true);
    expect(usesWildcardOperator({ source: [{ prefix: 'aws.' }], detail: { eventName: ['wildcard', { 'anything-but': ['wildcard'] }] } })).toBe(false);
  });

  it('fails generation when more rules would use it than the budget allows', () => {
    const rules = detectionRules(detections);
    const n = rules.filter((r) => usesWildcardOperator(r.pattern)).length;
    expect(() => detectionRules(detections, { ...ROUTING_LIMITS, maxWildcardOperatorRules: n - 1 })).toThrow(RoutingLimitError);
    expect(detectionRules(detections, { ...ROUTING_LIMITS, maxWildcardOperatorRules: n })).toHaveLength(rules.length);
  });
});

describe('replay reads what the detect rules and queues hold', () => {
  it('unwraps a rule target input, also inside a Lambda on-failure record (DetectFailureQueue)', async () => {
    const { recordsOfDocument } = await import('../../shared/input/json.ts');
    const event = sampleEvents()[0]!.event;
    const wrapped = targetInput({ route: 'named' }, event);
    const onFailure = { version: '1.0', requestContext: { condition: 'RetriesExhausted' }, requestPayload: wrapped, responsePayload: {} };
    for (const doc of [wrapped, onFailure]) {
      const out = [...recordsOfDocument(doc, 'f.json')];
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ kind: 'event', value: event });
    }
    expect(unwrapRouted(event)).toEqual({ event });
  });
});
