import { describe, expect, it } from 'vitest';
import type { AlertDigest } from '../../shared/alerts/format.ts';
import { SUBJECT_LIMIT, buildAlertSnsMessage, buildSnsMessage, digestSubject, emailSubject, emailText, renderEmail } from '../../shared/alerts/sns-message.ts';
import { accountDirectory } from '../../shared/alerts/context.ts';
import { policyFinding, rootSigninFinding } from './fixtures.ts';

describe('emailSubject', () => {
  it('names severity, what happened and the account (with its configured name)', () => {
    expect(emailSubject(rootSigninFinding())).toBe('[CRITICAL] root signed in without MFA in 111122223333');
    const accounts = accountDirectory({ '111122223333': 'prod-payments' });
    expect(emailSubject(rootSigninFinding(), { accounts })).toBe('[CRITICAL] root signed in without MFA in 111122223333 (prod-payments)');
  });

  it('stays ≤ 100 printable ASCII chars whatever the principal name', () => {
    const f = { ...rootSigninFinding(), detection: 'console-signin-without-mfa', principal: { type: 'IAMUser', name: `évil\n\u0007${'x'.repeat(300)}` } };
    const s = emailSubject(f);
    expect(s.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s.startsWith('[CRITICAL] ?vil xxx')).toBe(true);
    expect(s.endsWith(' in 111122223333')).toBe(true);
  });

  it('digest subject carries count and max severity', () => {
    const d: AlertDigest = { detection: 'policy-changed', principal: 'terraform', severity: 'high', count: 300, samples: [policyFinding()], firstTime: 't', lastTime: 't' };
    expect(digestSubject(d)).toBe('[HIGH] 300 findings: policy changed on user ci-deployer; ... by terraform in 111122223333');
  });
});

describe('emailText', () => {
  it('is a readable summary, not JSON', () => {
    const text = emailText(rootSigninFinding());
    expect(text.startsWith('CRITICAL: root signed in without MFA\nRoot user signed in')).toBe(true);
    expect(text).toMatch(/MFA\s+NO/);
    expect(text).toMatch(/Source IP\s+198\.51\.100\.23/);
    expect(text).toContain('WHAT TO DO NOW');
    expect(text).toContain('https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/');
    expect(text).not.toContain('{"');
  });

  it('lists risky grants for policy changes', () => {
    const text = emailText(policyFinding());
    expect(text).toContain('[CRITICAL] full-admin: Allows every action on every resource');
    expect(text).toContain('{"Effect":"Allow","Action":"*","Resource":"*"}');
  });
});

describe('SNS messages', () => {
  it('buildSnsMessage: text for email/default, the finding as JSON for machines, kind=finding', () => {
    const f = rootSigninFinding();
    const m = buildSnsMessage(f);
    const body = JSON.parse(m.Message) as Record<string, string>;
    expect(body['email']).toBe(emailText(f));
    expect(body['default']).toBe(emailText(f));
    expect(JSON.parse(body['lambda']!)).toEqual(f);
    expect(m.MessageAttributes['kind']?.StringValue).toBe('finding');
    expect(m.Subject).toBe(emailSubject(f));
  });

  it('buildAlertSnsMessage tags notifier output kind=alert (e-mail filter) for findings and digests', () => {
    const f = policyFinding();
    const d: AlertDigest = { detection: 'x', principal: 'p', severity: 'low', count: 2, samples: [f, f], firstTime: f.time, lastTime: f.time };
    for (const alert of [{ kind: 'finding' as const, finding: f }, { kind: 'digest' as const, digest: d }]) {
      const m = buildAlertSnsMessage(alert);
      expect(m.MessageAttributes['kind']?.StringValue).toBe('alert');
      expect(m.Subject).toBe(renderEmail(alert).subject);
      expect((JSON.parse(m.Message) as Record<string, string>)['email']).toBe(renderEmail(alert).text);
    }
  });
});

describe('buildAlertSnsMessage size', () => {
  it('stays far below the 256 KB SNS limit for a digest of huge findings', () => {
    const huge = policyFinding({ details: { blob: 'x'.repeat(60_000), analysis: [{ id: 'a', message: 'y'.repeat(60_000) }] } });
    const d: AlertDigest = { detection: 'policy-changed', principal: 'p', severity: 'high', count: 300, samples: [huge, huge, huge, huge, huge], firstTime: huge.time, lastTime: huge.time };
    const m = buildAlertSnsMessage({ kind: 'digest', digest: d });
    expect(Buffer.byteLength(m.Message) + Buffer.byteLength(m.Subject)).toBeLessThan(200_000);
    const json = JSON.parse((JSON.parse(m.Message) as Record<string, string>)['email-json']!) as { digest: { count: number } };
    expect(json.digest.count).toBe(300);
  });
});
