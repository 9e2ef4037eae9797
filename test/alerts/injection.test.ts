import { afterAll, describe, expect, it } from 'vitest';
import { renderChatbot } from '../../shared/alerts/chatbot.ts';
import { validateSlackMessage, type SlackMessage } from '../../shared/alerts/block-kit.ts';
import type { Alert, AlertDigest } from '../../shared/alerts/format.ts';
import { renderSlack } from '../../shared/alerts/slack.ts';
import { buildAlertSnsMessage, renderEmail } from '../../shared/alerts/sns-message.ts';
import { getDetection } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { Finding } from '../../shared/model/types.ts';
import { boundFinding } from '../../shared/model/finding-bounds.ts';
import { renderAlertsForTerminal } from '../../shared/notify/local.ts';
import { formatFindingJson, formatFindingText } from '../../shared/sinks/console.ts';
import { PUT_USER_POLICY_ADMIN } from '../../scripts/render-examples.ts';
import { readJson, EVENTS_DIR } from '../helpers/events.ts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The injection table of docs/alerts.md ("Attacker text stays text"): every payload an API caller
 * can plant, in every attacker-reachable field, through the real detections, rendered by every
 * channel — and the rendered output searched for live constructs: mentions, links, formatting,
 * emoji codes, new lines, control and bidi characters, lone surrogates. The count must be 0; the
 * checkers themselves are shown to find every payload in its raw form, so the test can fail.
 */

const PAYLOADS: Record<string, string> = {
  channel: '<!channel> deploy',
  here: '<!here>',
  user: '<@U123ABC>',
  link: '<https://evil.example/verify|Open in CloudTrail>',
  bold: '*urgent*',
  italic: '_quiet_',
  strike: '~gone~',
  code: '`rm -rf`',
  emoji: ':rotating_light:',
  bareUrl: 'see https://evil.example/login now',
  www: 'www.evil.example',
  mdLink: '[Approve](https://evil.example/ok)',
  crlf: 'x\r\nWHO  Principal   arn:aws:iam::111122223333:user/fake',
  lf: 'y\nFAKE-LINE injected',
  esc: 'red\u001b[31mALERT\u001b[0m\u001b]0;title\u0007',
  bel: 'bell\u0007',
  nul: 'nul\u0000byte',
  rtl: 'invoice\u202Efdp.exe',
  lone: 'half\ud83d emoji',
  long: `${'😀'.repeat(3000)}tail`,
  // Slack also formats with the full-width forms typed on CJK keyboards, quotes a line that starts
  // with `>` (sent as `&gt;`) or `＞`, and knows emoji names in any script (custom and localised).
  quote: '> quoted',
  fwQuote: '＞ quoted',
  fwBold: '＊urgent＊',
  fwItalic: '＿quiet＿',
  fwCode: '｀rm -rf｀',
  emojiIntl: ':café: :チェックマーク_緑:',
};

/** The payload carried to every field a caller chooses, through the detection that reports it. */
function craftedFindings(payload: string): Array<{ field: string; finding: Finding }> {
  const out: Array<{ field: string; finding: Finding }> = [];
  const through = (field: string, detection: string, input: unknown): void => {
    const result = normalize(input);
    if (!result.ok) throw new Error(`${field}: ${result.skip.reason}`);
    const findings = getDetection(detection)!.detect(result.event);
    if (findings.length === 0) throw new Error(`${field}: ${detection} did not fire`);
    for (const finding of findings) out.push({ field, finding });
  };
  const sample = (folder: string, name: string): { detail: Record<string, any> } & Record<string, any> =>
    structuredClone(readJson(join(EVENTS_DIR, folder, `${name}.json`))) as { detail: Record<string, any> };

  // Trail name of a denied StopLogging (a denied call is logged too).
  const stop = sample('trail-tampering', 'positive-stop-logging-denied');
  stop.detail.requestParameters.name = payload;
  through('trail name (denied StopLogging)', 'trail-tampering', stop);
  // S3 lifecycle rule id and bucket name.
  const lifecycle = sample('s3-bucket-config-changes', 'positive-short-lifecycle');
  lifecycle.detail.requestParameters.LifecycleConfiguration.Rule.ID = payload;
  through('S3 lifecycle rule id', 's3-bucket-config-changes', lifecycle);
  const bucket = sample('s3-bucket-config-changes', 'positive-short-lifecycle');
  bucket.detail.requestParameters.bucketName = payload;
  through('bucket name', 's3-bucket-config-changes', bucket);
  // Principal (session) name, user agent and source address of a root-style sign-in.
  const signin = sample('console-auth-failures', 'positive-iam-user-failure');
  signin.detail.userIdentity.userName = payload;
  signin.detail.userAgent = payload;
  signin.detail.errorMessage = payload;
  through('user name, user agent, error message (failed sign-in)', 'console-auth-failures', signin);
  // Request parameters of a policy change: user name, policy name, the document's Sid.
  const policy = structuredClone(PUT_USER_POLICY_ADMIN) as typeof PUT_USER_POLICY_ADMIN & { detail: Record<string, any> };
  policy.detail.requestParameters.userName = payload;
  policy.detail.requestParameters.policyName = payload;
  policy.detail.requestParameters.policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: payload, Effect: 'Allow', Action: '*', Resource: '*' }] });
  policy.detail.userIdentity.arn = `arn:aws:sts::111122223333:assumed-role/deploy/${payload}`;
  policy.detail.userIdentity.sessionContext.sessionIssuer.arn = `arn:aws:iam::111122223333:role/${payload}`;
  through('session name, role, user name, policy name, Sid (PutUserPolicy)', 'policy-changed', policy);
  return out;
}

/** A rate-burst finding whose top APIs, source IPs and principal carry the payload. */
function rateFinding(payload: string): Finding {
  return {
    detection: 'api-rate-anomaly',
    severity: 'high',
    title: `Principal ${payload} made 480 API calls in one minute in 111122223333 (normal ≈ 3.0/min)`,
    eventId: 'rate-0123456789abcdef0123456789abcdef',
    eventName: 'GetSecretValue',
    eventSource: 'secretsmanager.amazonaws.com',
    time: '2026-11-20T09:00:00.000Z',
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'IAMUser', name: payload, arn: `arn:aws:iam::111122223333:user/${payload}` },
    sourceIp: payload,
    userAgent: payload,
    details: {
      dimension: 'principal',
      key: payload,
      burstId: 'rate-0123456789abcdef0123456789abcdef',
      observed: 480,
      baseline: { basis: 'learned', expectedPerMinute: 3, peakPerMinute: 9, historyMinutes: 1440 },
      topEventNames: [{ value: `secretsmanager.amazonaws.com:${payload}`, count: 400 }],
      topSourceIps: [{ value: payload, count: 480 }],
      windowStart: '2026-11-20T09:00:00.000Z',
      firstEventTime: '2026-11-20T09:00:01.000Z',
      lastEventTime: '2026-11-20T09:00:59.000Z',
      firstEventId: 'c7e4a1d9-3b6f-4e2a-9d8c-5f1b0e7a3c21',
    },
  };
}

// --- What counts as live ------------------------------------------------------------------------

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const OUR_LINK = /^<https:\/\/([a-z0-9-]+\.)?(console\.aws\.amazon\.com|s3\.console\.aws\.amazon\.com)\/[^|<> ]*\|[^<>|]*>$/;
const OUR_DATE = /^<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[0-9: -]+UTC>$/;

/** Our console URLs (attacker names inside them are percent-encoded, see links.ts) are not attacker text. */
const OUR_URL = /https:\/\/([a-z0-9-]+\.)?(console\.aws\.amazon\.com|s3\.console\.aws\.amazon\.com)\/[^\s|<>)]*/g;

/** Constructs an attacker could make Slack mrkdwn act on, outside our own links and code spans. */
function slackLive(raw: string): string[] {
  const found: string[] = [];
  for (const m of raw.match(/<[^>]*>/g) ?? []) if (!OUR_LINK.test(m) && !OUR_DATE.test(m)) found.push(`tag ${m}`);
  for (const url of raw.match(OUR_URL) ?? []) if (/[()*~_!']/.test(url)) found.push(`markup character inside our URL ${url}`);
  const text = raw.replace(OUR_URL, 'URL');
  const outsideCode = text.replace(/```[^`]*```/g, '').replace(/`[^`\n]*`/g, '');
  // Our own labels (`*Who*`) are bold on purpose; the attacker's markers must not survive.
  if (/\*urgent\*/.test(outsideCode)) found.push('bold');
  if (/_quiet_/.test(outsideCode)) found.push(`italic in ${JSON.stringify(outsideCode.slice(Math.max(0, outsideCode.search(/_quiet_/) - 80), outsideCode.search(/_quiet_/) + 40))}`);
  if (/~gone~/.test(outsideCode)) found.push('strike');
  if ((outsideCode.match(/`/g) ?? []).length > 0) found.push('stray backtick');
  if (/:rotating_light:|:café:|:チェックマーク_緑:/.test(outsideCode)) found.push('emoji code');
  if (/＊urgent＊|＿quiet＿|｀rm/.test(outsideCode)) found.push('full-width formatting');
  // A block quote needs the mark at the start of a line; our own lines never start with one.
  for (const line of raw.split('\n')) if (/^\s*(&gt;|>|＞)/.test(line)) found.push(`block quote "${line.slice(0, 40)}"`);
  if (/evil\.example|https?:\/\/evil/.test(outsideCode)) found.push(`live attacker URL in ${JSON.stringify(outsideCode.slice(Math.max(0, outsideCode.search(/evil/) - 60), outsideCode.search(/evil/) + 40))}`);
  return found;
}

/** Constructs client-markdown (Chatbot) would act on. */
function chatbotLive(raw: string): string[] {
  const found: string[] = [];
  for (const url of raw.match(OUR_URL) ?? []) if (/[()*~_!'[\]]/.test(url)) found.push(`markup character inside our URL ${url}`);
  // Inside a code span nothing is formatted or linked (the revert command lives there).
  const text = raw.replace(OUR_URL, 'URL').replace(/(?<!\\)`[^`]*`/g, 'CODE');
  if (/(?<!\\)\[[^\]]*(?<!\\)\]\(/.test(text)) found.push('markdown link');
  if (/(?<!\\)\*urgent(?<!\\)\*/.test(text)) found.push('bold');
  if (/(?<!\\)_quiet(?<!\\)_/.test(text)) found.push('italic');
  if (/(?<!\\)<[!@]/.test(text)) found.push('mention');
  // What the reader sees once Markdown has consumed the backslashes: `:a\_b:` is the emoji `:a_b:`.
  const rendered = text.replace(/\\(.)/g, '$1');
  if (/:rotating_light:|:café:|:チェックマーク_緑:/.test(rendered)) found.push('emoji code');
  if (/(?<!\\)`rm/.test(text)) found.push('code');
  if (/＊urgent＊|＿quiet＿|｀rm/.test(text)) found.push('full-width formatting');
  for (const line of rendered.split('\n')) if (/^\s*[>＞]/.test(line)) found.push(`block quote "${line.slice(0, 40)}"`);
  if (/evil\.example|https?:\/\/evil/.test(text)) found.push('live attacker URL');
  return found;
}

/** Every channel: a line that starts with injected text, raw controls, bidi, lone surrogates. */
function structuralLive(text: string): string[] {
  const found: string[] = [];
  if (CONTROL.test(text)) found.push('control or bidi character');
  if (LONE.test(text)) found.push('lone surrogate');
  for (const line of text.split('\n')) if (/^\s*(WHO  Principal   arn|FAKE-LINE)/.test(line)) found.push(`injected line "${line.slice(0, 40)}"`);
  return found;
}

function mailLive(text: string): string[] {
  return /evil\.example|https?:\/\/evil/.test(text.replace(OUR_URL, 'URL')) ? ['live attacker URL'] : [];
}

/** All the strings of a Slack message, by how Slack reads them. */
function slackStrings(m: SlackMessage): Array<{ kind: 'mrkdwn' | 'plain'; text: string }> {
  const out: Array<{ kind: 'mrkdwn' | 'plain'; text: string }> = [{ kind: 'mrkdwn', text: m.text }];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((o['type'] === 'mrkdwn' || o['type'] === 'plain_text') && typeof o['text'] === 'string') {
        out.push({ kind: o['type'] === 'mrkdwn' ? 'mrkdwn' : 'plain', text: o['text'] });
        if (o['type'] === 'plain_text' && o['emoji'] !== false) out.push({ kind: 'plain', text: '\u0000emoji-on' });
      } else Object.values(o).forEach(visit);
    }
  };
  visit(m.blocks);
  visit(m.attachments);
  for (const a of m.attachments ?? []) if (a.fallback) out.push({ kind: 'mrkdwn', text: a.fallback });
  return out;
}

function digestOf(findings: Finding[]): AlertDigest {
  return { detection: findings[0]!.detection, principal: findings[0]!.principal.arn ?? findings[0]!.principal.name, severity: 'high', count: findings.length + 40, samples: findings, firstTime: findings[0]!.time, lastTime: findings[0]!.time };
}

/** Renders one alert on every channel and returns the live constructs found, per channel. */
function liveByChannel(alert: Alert): Record<string, string[]> {
  const slack = renderSlack(alert);
  const chatbot = renderChatbot(alert);
  const email = renderEmail(alert);
  const sns = buildAlertSnsMessage(alert);
  const found: Record<string, string[]> = {
    'slack text': [],
    'slack blocks': [],
    chatbot: [],
    'e-mail subject': [],
    'e-mail body': [],
    terminal: [],
    json: [],
  };
  if (validateSlackMessage(slack).length > 0) found['slack blocks']!.push(...validateSlackMessage(slack));
  for (const s of slackStrings(slack)) {
    const bucket = s.text === slack.text ? 'slack text' : 'slack blocks';
    found[bucket]!.push(...structuralLive(s.text));
    if (s.text === '\u0000emoji-on') found[bucket]!.push('plain_text with emoji on');
    else if (s.kind === 'mrkdwn') found[bucket]!.push(...slackLive(s.text));
    else if (/evil\.example|https?:\/\/evil|<!|<@/.test(s.text) && /https?:\/\/evil|evil\.example/.test(s.text)) found[bucket]!.push('live URL in plain_text');
  }
  if (JSON.stringify(slack).match(/(?<!\\)(?:\\\\)*\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i)) found['slack blocks']!.push('lone surrogate escape in JSON');
  const chatbotStrings = [chatbot.content.title, chatbot.content.description, ...(chatbot.content.nextSteps ?? []), chatbot.metadata?.summary ?? ''];
  found['chatbot']!.push(...structuralLive(chatbot.metadata?.threadId ?? ''));
  for (const t of chatbotStrings) found['chatbot']!.push(...structuralLive(t), ...chatbotLive(t).map((l) => `${l} in ${JSON.stringify(t.slice(Math.max(0, t.search(/<[!@]|\[|evil|rotating|urgent|quiet|rm/) - 30), 200))}`));
  if (!/^[\x20-\x7e]{1,100}$/.test(email.subject)) found['e-mail subject']!.push('subject not one line of printable ASCII ≤ 100');
  found['e-mail subject']!.push(...mailLive(email.subject));
  found['e-mail body']!.push(...structuralLive(email.text), ...mailLive(email.text));
  const snsDefault = (JSON.parse(sns.Message) as { default: string }).default;
  found['e-mail body']!.push(...structuralLive(snsDefault));
  const findings = alert.kind === 'finding' ? [alert.finding] : alert.digest.samples;
  for (const f of findings) {
    const text = formatFindingText(f, true).replace(/\u001b\[[0-9;]*m/g, ''); // our own colours are allowed
    found['terminal']!.push(...structuralLive(text));
    if (text.trimEnd().split('\n').length !== 3) found['terminal']!.push('finding not exactly 3 lines');
    const json = formatFindingJson(f);
    found['json']!.push(...structuralLive(json.trimEnd()));
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(boundFinding(f)))); // the (bounded) data, only escaped
  }
  if (alert.kind === 'finding') found['terminal']!.push(...structuralLive(renderAlertsForTerminal([alert.finding], { chatbot: true }).replace(/\n/g, '\n')));
  return found;
}

describe('attacker text stays text: payload × field × channel', () => {
  const table: Array<{ payload: string; field: string; channel: string; live: number }> = [];

  afterAll(() => {
    const channels = [...new Set(table.map((r) => r.channel))];
    const fields = [...new Set(table.map((r) => r.field))];
    const lines = [`\nINJECTION TABLE: live constructs per field × channel, summed over ${Object.keys(PAYLOADS).length} payloads`, `| field | ${channels.join(' | ')} |`, `|---|${channels.map(() => '---').join('|')}|`];
    for (const field of fields) lines.push(`| ${field} | ${channels.map((c) => table.filter((r) => r.field === field && r.channel === c).reduce((n, r) => n + r.live, 0)).join(' | ')} |`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  for (const [name, payload] of Object.entries(PAYLOADS)) {
    it(`payload ${name}: 0 live constructs on every channel, single alerts and digests`, () => {
      const crafted = [...craftedFindings(payload), { field: 'rate burst: principal, key, top APIs, source IPs', finding: rateFinding(payload) }];
      const problems: string[] = [];
      for (const { field, finding } of crafted) {
        for (const [kind, alert] of [
          ['alert', { kind: 'finding', finding } as Alert],
          ['digest', { kind: 'digest', digest: digestOf([finding, finding]) } as Alert],
          // An incident's follow-up digest and a page that re-pages a known incident (docs/alerts.md "No page storms").
          ['follow-up', { kind: 'digest', digest: { ...digestOf([finding, finding]), incident: { pagedAt: '2026-11-20T09:00:00.000Z', severity: 'high' } } } as Alert],
          ['page again', { kind: 'finding', finding, incident: { reason: 'escalated', previousSeverity: 'medium', previousPagedAt: '2026-11-20T09:00:00.000Z' } } as Alert],
        ] as const) {
          for (const [channel, live] of Object.entries(liveByChannel(alert))) {
            table.push({ payload: name, field: `${field} (${kind})`, channel, live: live.length });
            for (const l of live) problems.push(`${field} / ${kind} / ${channel}: ${l}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('docs/alerts.md states the size of this table', () => {
    const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'alerts.md'), 'utf8');
    const n = Object.keys(PAYLOADS).length;
    expect(doc).toContain(`${n} payloads (`);
    expect(doc).toContain(`12 field groups × 7 channels × ${n} payloads`);
  });

  it('the checkers are not blind: each payload, raw, is caught on the channel it attacks', () => {
    expect(slackLive(PAYLOADS['channel']!)).toContain('tag <!channel>');
    expect(slackLive(PAYLOADS['user']!).length).toBeGreaterThan(0);
    expect(slackLive(PAYLOADS['link']!).length).toBeGreaterThan(0);
    expect(slackLive(`x ${PAYLOADS['bold']!}`)).toContain('bold');
    expect(slackLive('*Who* and `*urgent*` in code')).toEqual([]);
    expect(slackLive(PAYLOADS['italic']!).some((l) => l.startsWith('italic'))).toBe(true);
    expect(slackLive(PAYLOADS['strike']!)).toContain('strike');
    expect(slackLive(PAYLOADS['code']!)).toEqual([]); // a code span is inert…
    expect(slackLive(`a\`b ${PAYLOADS['code']!}`)).toContain('stray backtick'); // …unless it breaks out of ours
    expect(slackLive(PAYLOADS['emoji']!)).toContain('emoji code');
    expect(slackLive(PAYLOADS['emojiIntl']!)).toContain('emoji code');
    expect(chatbotLive(':rotating\\_light:')).toContain('emoji code'); // a backslash does not stop the emoji
    expect(slackLive(`*Who*\n&gt; quoted`).some((l) => l.startsWith('block quote'))).toBe(true);
    expect(slackLive(`*Who*\n${PAYLOADS['fwQuote']!}`).some((l) => l.startsWith('block quote'))).toBe(true);
    expect(chatbotLive(`x\n\\> quoted`).some((l) => l.startsWith('block quote'))).toBe(true);
    for (const p of ['fwBold', 'fwItalic', 'fwCode']) {
      expect(slackLive(PAYLOADS[p]!)).toContain('full-width formatting');
      expect(chatbotLive(PAYLOADS[p]!)).toContain('full-width formatting');
    }
    expect(slackLive(PAYLOADS['bareUrl']!).some((l) => l.startsWith('live attacker URL'))).toBe(true);
    expect(chatbotLive(PAYLOADS['mdLink']!)).toContain('markdown link');
    expect(chatbotLive(PAYLOADS['channel']!)).toContain('mention');
    expect(structuralLive(PAYLOADS['crlf']!).length).toBeGreaterThan(0);
    expect(structuralLive(PAYLOADS['lf']!)).toContain('injected line "FAKE-LINE injected"');
    for (const p of ['esc', 'bel', 'nul', 'rtl', 'lone']) expect(structuralLive(PAYLOADS[p]!).length).toBeGreaterThan(0);
    expect(structuralLive('😀'.repeat(10).slice(0, 7))).toContain('lone surrogate'); // a naive cut
    // Old renderer behaviour, for comparison: a raw `<!channel>` title in the push text is caught.
    expect(slackLive(`CRITICAL trail-tampering: ${PAYLOADS['link']!}`).length).toBeGreaterThan(0);
  });
});
