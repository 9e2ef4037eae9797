import { describe, expect, it } from 'vitest';
import { renderChatbot } from '../../shared/alerts/chatbot.ts';
import { policyFinding, rootSigninFinding } from './fixtures.ts';

describe('renderChatbot (Amazon Q Developer in chat applications custom notification)', () => {
  it('has the required version/source and client-markdown content', () => {
    const n = renderChatbot({ kind: 'finding', finding: rootSigninFinding() });
    expect(n.version).toBe('1.0');
    expect(n.source).toBe('custom');
    expect(n.content.textType).toBe('client-markdown');
    expect(n.content.title).toContain('CRITICAL');
    expect(n.content.description).toContain('MFA NO');
    expect(n.content.description).toContain('cloudtrailv2/home?region=us-east-1#/events/0b6f4d2e');
    expect(n.content.nextSteps?.[0]).toMatch(/root credential owner/);
    expect(n.metadata?.threadId).toBe('root-signin:arn:aws:iam::111122223333:root');
    expect(n.metadata?.additionalContext?.['eventId']).toBe('0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02');
  });

  it('includes policy grants and escapes markdown in attacker-chosen values', () => {
    const f = policyFinding({ principal: { type: 'IAMUser', name: '*bold*_x_`y`' } });
    const n = renderChatbot({ kind: 'finding', finding: f });
    expect(n.content.description).toContain('full-admin');
    expect(n.content.description).toContain('\\*bold\\*');
  });

  it('renders digests with count and thread per detection+principal', () => {
    const f = policyFinding({ severity: 'medium' });
    const n = renderChatbot({ kind: 'digest', digest: { detection: 'policy-changed', principal: 'terraform', severity: 'medium', count: 42, samples: [f], firstTime: f.time, lastTime: f.time } });
    expect(n.content.title).toContain('42 findings: policy changed on user ci-deployer; …');
    expect(n.metadata?.threadId).toBe('policy-changed:terraform');
  });
});
