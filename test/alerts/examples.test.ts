import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import { renderSlack } from '../../shared/alerts/slack.ts';
import { emailSubject } from '../../shared/alerts/sns-message.ts';
import { DOC, exampleDigest, exampleFindings, renderExamplesMarkdown, spliceExamples } from '../../scripts/render-examples.ts';

describe('docs/alerts.md examples', () => {
  it('are exactly what the code renders today', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(spliceExamples(doc, renderExamplesMarkdown())).toBe(doc);
  });

  it('come from real detections: root-signin critical without MFA, PutUserPolicy *:* critical with admin-access', () => {
    const { root, policy } = exampleFindings();
    expect(root).toMatchObject({ detection: 'root-signin', severity: 'critical', principal: { mfa: false } });
    expect(policy).toMatchObject({ detection: 'policy-changed', severity: 'critical', eventName: 'PutUserPolicy' });
    expect(JSON.stringify(policy.details['analysis'])).toContain('admin-access');
    for (const f of [root, policy]) {
      expect(validateSlackMessage(renderSlack({ kind: 'finding', finding: f }))).toEqual([]);
      expect(emailSubject(f).length).toBeLessThanOrEqual(100);
    }
  });

  it('the digest example comes from the real detection and its header says what happened', () => {
    const digest = exampleDigest();
    expect(digest).toMatchObject({ detection: 'console-auth-failures', count: 3 });
    expect(digest.samples.every((f) => f.detection === 'console-auth-failures')).toBe(true);
    const slack = renderSlack({ kind: 'digest', digest });
    expect(validateSlackMessage(slack)).toEqual([]);
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { text: 'LOW: 3 × failed console sign-in for alice' } });
  });

  it('splice appends when markers are missing and replaces between them otherwise', () => {
    expect(spliceExamples('# t', 'B')).toBe('# t\n\nB\n');
  });
});
