import { describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import type { AlertDigest } from '../../shared/alerts/format.ts';
import { escapeMrkdwn, renderSlack, slackDigestMessage, slackFindingMessage } from '../../shared/alerts/slack.ts';
import type { Finding } from '../../shared/model/types.ts';
import { policyFinding, rootSigninFinding } from './fixtures.ts';

const allText = (m: unknown): string => JSON.stringify(m);

describe('slackFindingMessage', () => {
  it('renders root-signin with severity word and colour, who, where, when, runbook and console link', () => {
    const f = rootSigninFinding();
    const m = slackFindingMessage(f);
    expect(validateSlackMessage(m)).toEqual([]);
    // Header and push text say what happened, not the detection id.
    expect(m.text).toBe('CRITICAL: root signed in without MFA — Root user signed in to the console of 111122223333 WITHOUT MFA from 198.51.100.23');
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'CRITICAL: root signed in without MFA', emoji: false } });
    expect(allText(m)).toContain('Trailwatch · `root-signin`');
    expect(m.attachments?.[0]?.color).toBe('#B00020');
    const text = allText(m);
    expect(text).toContain('WITHOUT MFA');
    expect(text).toContain('198.51.100.23');
    expect(text).toContain('Chrome/131');
    expect(text).toContain('2026-11-20 07:12:09 UTC');
    expect(text).toContain('<!date^1795158729^{date_short_pretty} {time_secs}|2026-11-20 07:12:09 UTC> your time');
    expect(text).toContain('*NO*'); // MFA field
    expect(text).toContain('What to do now');
    expect(text).toContain(
      'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02',
    );
  });

  it('lists the policy engine risky grants with their statements', () => {
    const m = slackFindingMessage(policyFinding());
    expect(validateSlackMessage(m)).toEqual([]);
    const text = allText(m);
    expect(text).toContain('Risky grants found (1)');
    expect(text).toContain('full-admin');
    expect(text).toContain('Allows every action on every resource');
    expect(text).toContain('\\"Action\\":\\"*\\"');
  });

  it('accepts other analysis shapes (object with findings, sentence, statement) and ignores junk', () => {
    const f = policyFinding({
      details: {
        analysis: {
          findings: [
            { code: 'passrole-star', sentence: 'iam:PassRole on any role', statement: { Sid: 'X', Action: 'iam:PassRole', Resource: '*' } },
            42,
            null,
            { unrelated: true },
          ],
        },
      },
    });
    const text = allText(slackFindingMessage(f));
    expect(text).toContain('passrole-star');
    expect(text).toContain('iam:PassRole on any role');
    expect(text).toContain('Risky grants found (1)');
  });

  it('neutralises Slack control sequences in attacker-chosen values', () => {
    const f = { ...rootSigninFinding(), userAgent: '<!channel> <https://evil.example|click> & co' };
    const text = allText(slackFindingMessage(f));
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(escapeMrkdwn('<a&b>')).toBe('&lt;a&amp;b&gt;');
  });

  it('stays within Block Kit limits for huge values', () => {
    const huge = 'x'.repeat(10_000);
    const f: Finding = {
      ...policyFinding(),
      title: huge,
      userAgent: huge,
      runbook: huge,
      principal: { type: huge, name: huge, arn: huge, accessKeyId: 'AKIA' + 'X'.repeat(3000) },
      details: { analysis: Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, message: huge, statements: [huge, huge, huge] })), note: huge },
    };
    const m = slackFindingMessage(f);
    expect(validateSlackMessage(m)).toEqual([]);
  });

  it('omits the link when the region is not a region (no URL built from junk)', () => {
    const f = { ...rootSigninFinding(), region: 'us-east-1/../../evil' };
    expect(allText(slackFindingMessage(f))).not.toContain('cloudtrailv2');
  });

  it('explains non-policy detections from their details', () => {
    const text = allText(slackFindingMessage(rootSigninFinding()));
    expect(text).toContain('Why this fired');
    expect(text).toContain('outcome: success');
  });
});

describe('slackDigestMessage', () => {
  const samples = Array.from({ length: 5 }, (_, i) => policyFinding({ severity: i === 3 ? 'high' : 'medium' }, i));
  const digest: AlertDigest = {
    detection: 'policy-changed',
    principal: 'arn:aws:sts::111122223333:assumed-role/deploy/terraform',
    severity: 'high',
    count: 300,
    samples,
    firstTime: samples[0]!.time,
    lastTime: '2026-11-20T09:04:59Z',
  };

  it('shows count, max severity, first items with links and the remainder', () => {
    const m = slackDigestMessage(digest);
    expect(validateSlackMessage(m)).toEqual([]);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'HIGH: 300 findings: policy changed on user ci-deployer; …' } });
    const text = allText(m);
    expect(text).toContain('…and 295 more');
    // Five event links plus one to the principal's recent activity.
    expect(text.match(/cloudtrailv2\/home\?region=us-east-1#\/events\/7f1d6c3a/g)?.length).toBe(5);
    expect(text).toContain('#/events?StartTime=2026-11-19T09:00:00.000Z&EndTime=2026-11-20T10:00:00.000Z&Username=terraform');
    expect(m.attachments?.[0]?.color).toBe('#E8590C');
  });

  it('renderSlack dispatches on kind', () => {
    expect(renderSlack({ kind: 'digest', digest }).text).toContain('300 policy-changed findings');
    expect(renderSlack({ kind: 'finding', finding: rootSigninFinding() }).text).toContain('root signed in without MFA');
  });
});

describe('validateSlackMessage', () => {
  const ok = { type: 'section', text: { type: 'mrkdwn', text: 'hi' } };
  it('enforces the limits Trailwatch relies on', () => {
    expect(validateSlackMessage({ text: 'x', blocks: [ok] })).toEqual([]);
    expect(validateSlackMessage({ blocks: [ok] })).toContain('fallback text missing');
    expect(validateSlackMessage({ text: 'x', blocks: Array(51).fill(ok) })[0]).toMatch(/51 blocks/);
    expect(validateSlackMessage({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }] })[0]).toMatch(/max 3000/);
    expect(validateSlackMessage({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'a'.repeat(151) } }] })[0]).toMatch(/max 150/);
    expect(validateSlackMessage({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'a' } }] })[0]).toMatch(/plain_text/);
    const field = { type: 'mrkdwn', text: 'f' };
    expect(validateSlackMessage({ text: 'x', blocks: [{ type: 'section', fields: Array(11).fill(field) }] })[0]).toMatch(/11 fields/);
    expect(validateSlackMessage({ text: 'x', blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'a'.repeat(2001) }] }] })[0]).toMatch(/max 2000/);
    expect(validateSlackMessage({ text: 'x', blocks: [], attachments: [{ color: 'red', blocks: [] }] })[0]).toMatch(/hex colour/);
    expect(validateSlackMessage(null)).toEqual(['message is not an object']);
  });
});
