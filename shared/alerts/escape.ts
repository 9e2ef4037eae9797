/**
 * The one escaping layer every event-derived string passes through on its way to a human. CloudTrail
 * fields (user and session names, trail and bucket names, rule ids, request parameters, user agents,
 * error messages) are chosen by whoever made the call — a denied call is logged too — so in every
 * channel they must stay text: no mention, no link, no formatting, no new line, no broken message.
 *
 * Layers, applied in this order:
 * 1. `flatten`: one line of well-formed text. Control characters (C0 incl. CR/LF/TAB, DEL, C1),
 *    bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C),
 *    zero-width and line/paragraph separators become a space or are dropped; lone surrogates
 *    become U+FFFD.
 * 2. `defang`: URLs an attacker wrote are made unclickable the way security teams write IOCs
 *    (`hxxps://evil[.]example`), so no client auto-links them.
 * 3. the channel's own escaping (Slack mrkdwn, Chatbot client-markdown, e-mail, terminal, JSON).
 * 4. `truncate`: cuts at a grapheme boundary (never inside a surrogate pair, an emoji ZWJ sequence
 *    or a letter with combining marks) and marks the cut with "…".
 *
 * Our own formatting (labels, links to the AWS console) is added around the escaped values and is the
 * only markup in a rendered message. docs/alerts.md ("Attacker text stays text") has the table.
 */

/** Characters that must never reach a renderer: controls, bidi controls, zero-width, line separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
/** A lone surrogate (high not followed by low, or low not preceded by high). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Any value to a string, defensively: findings travel through SNS and may be odd. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** The string with every lone surrogate replaced by U+FFFD (so it can be URL-encoded and sent as UTF-8). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * One line of well-formed text: every control, bidi or invisible character becomes a space (runs of
 * whitespace collapse to one), lone surrogates become U+FFFD. This is what stops `\r\nWHO  fake`
 * from starting a new line and U+202E from reversing what follows.
 */
export function flatten(value: unknown): string {
  return asText(value).replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

/** `scheme://` and `www.` links in attacker text become `hxxp(s)[:]//host[.]tld` — readable, never clickable. */
export function defang(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]{1,15}):\/\//gi, (_m, scheme: string) => `${scheme.replace(/t/gi, 'x')}[:]//`)
    .replace(/\b(www|[a-z0-9-]+)\.(?=[a-z0-9-]+\.|[a-z]{2,}\b)/gi, (m: string, label: string) => (/^\d+$/.test(label) ? m : `${label}[.]`));
}

// Created on the first cut, not at import: building a Segmenter loads ICU's break data, which was
// ~25 ms of every detect cold start on the 2-core VM (docs/performance.md "Cold start") while most
// alerts cut nothing.
let segmenter: Intl.Segmenter | undefined;

/**
 * Cuts `text` to at most `max` UTF-16 code units at a grapheme boundary and ends it with "…", so a
 * cut never leaves half an emoji (a lone surrogate Slack would reject) or a stray combining mark.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const room = max - 1; // for the ellipsis
  // Segment only a window around the cut: long strings stay cheap, and a grapheme that starts
  // before `room` but does not end by it is dropped whole.
  let end = 0;
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment, index } of segmenter.segment(text.slice(0, room + 64))) {
    if (index + segment.length > room) break;
    end = index + segment.length;
  }
  return `${text.slice(0, end)}…`;
}

/** `flatten`, `defang` and `truncate` together: the plain, one-line, inert form of an event value. */
export function inert(value: unknown, max = 2000): string {
  return truncate(defang(flatten(value)), max);
}

// --- Slack -----------------------------------------------------------------------------------

/**
 * Slack mrkdwn characters and their inert look-alikes. Slack has no backslash escape: only `&`, `<`,
 * `>` have entities, so the other markup characters are swapped for characters that look the same
 * and mean nothing (`*`→`∗`, `_`→`ˍ`, `~`→`∼`, backtick→`ˋ`, `@`→`＠` so `@here` is not a mention in any client that might still parse it).
 * Slack also formats with the full-width forms `＊` `＿` `｀` (typed on CJK keyboards): they get the same look-alikes.
 */
const SLACK_LOOKALIKE: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ', '@': '＠', '|': '│', '＊': '∗', '＿': 'ˍ', '｀': 'ˋ' };
const SLACK_MARKUP = /[*_~`@|＊＿｀]/g;

/**
 * Slack reads `>` (sent as `&gt;`) and the full-width `＞` at the start of a line as a block quote.
 * Event values never contain a line break (flatten), but one may start a line after our label
 * (`*Who*\n…`): a leading quote mark becomes `›`.
 */
function noLeadingQuote(text: string): string {
  return text.replace(/^[>＞]/, '›');
}

/**
 * Breaks every `:name:` emoji code by swapping its opening colon for `∶`; other colons (times,
 * "iam:PutUserPolicy") stay as they are. Names are Slack's (`_ + ' -`, digits) in any script:
 * workspaces add custom emoji and Slack has localised names (`:チェックマーク_緑:`).
 */
export function breakEmojiCodes(text: string): string {
  return text.replace(/:(?=[\p{L}\p{N}\p{M}_+'＿＋-]+:)/gu, '∶');
}

function slackEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * An event value inside Slack mrkdwn running text (the top-level `text`, digest lines, facts): one
 * line, entities escaped (so `<!channel>` and `<https://x|y>` arrive as text), every markup
 * character replaced by its look-alike, URLs defanged, cut at `max`.
 */
export function slackText(value: unknown, max = 2000): string {
  const text = breakEmojiCodes(noLeadingQuote(defang(flatten(value))).replace(SLACK_MARKUP, (c) => SLACK_LOOKALIKE[c] ?? c));
  return slackEntities(truncate(text, max));
}

/**
 * An event value as a Slack inline code span, for identifiers people copy (ARNs, key ids, IPs, user
 * agents): inside code Slack formats nothing and shows no emoji, so only entities, backticks (which
 * would close the span) and new lines need handling; URLs are defanged so nothing is auto-linked.
 */
export function slackCode(value: unknown, max = 2000, options: { awsField?: boolean } = {}): string {
  const flat = flatten(value);
  const text = truncate((options.awsField ? defangExceptAws(flat) : defang(flat)).replace(/[`｀]/g, 'ˋ'), max);
  return `\`${slackEntities(text) || ' '}\``;
}

/**
 * An event value for a Block Kit `plain_text` object (Slack shows it literally: no mrkdwn, no
 * mentions; the object is sent with `emoji: false`). One line and defanged so no client links it.
 */
export function slackPlain(value: unknown, max = 2000): string {
  return truncate(defang(flatten(value)), max);
}

/** A value as a Slack code block (```…```): one line, entities escaped, backticks swapped so it cannot close early. */
export function slackCodeBlock(value: unknown, max = 3000): string {
  return `\`\`\`${slackEntities(truncate(flatten(value).replace(/[`｀]/g, 'ˋ'), max)) || ' '}\`\`\``;
}

// --- Amazon Q Developer in chat applications (Chatbot) ---------------------------------------

/**
 * An event value for Chatbot `client-markdown` (content.title/description/nextSteps and
 * metadata.summary): one line, defanged, and every Markdown-significant character backslash-escaped
 * — emphasis, code, links `[t](u)`, images, headings, tables, HTML and autolinks `<…>` — plus the
 * Slack-style `:emoji:` and `@mention` look-alikes, since Chatbot relays into Slack and Teams.
 */
export function chatbotText(value: unknown, max = 2000): string {
  return chatbotEscape(truncate(defang(flatten(value)), max));
}

/** An AWS-written field (`eventSource eventName`, top APIs) for Chatbot: host names stay readable, the rest as `chatbotText`. */
export function chatbotAwsText(value: unknown, max = 300): string {
  return chatbotEscape(awsFieldText(value, max));
}

function chatbotEscape(flat: string): string {
  // Emoji codes are broken before the backslashes go in: `:a\_b:` would read as `:a_b:` once rendered.
  return breakEmojiCodes(noLeadingQuote(flat))
    .replace(/[\\`*_~<>[\]()|]/g, (c) => `\\${c}`)
    .replace(/[@＊＿｀]/g, (c) => SLACK_LOOKALIKE[c] ?? c)
    .replace(/＞/g, '›');
}

// --- E-mail and terminal -----------------------------------------------------------------------

/**
 * An event value in a plain-text e-mail body: one line (no CR/LF, so no fake header or WHO line),
 * no ESC/BEL/NUL, no bidi overrides, URLs defanged so mail clients do not link them.
 */
export function mailText(value: unknown, max = 2000): string {
  return truncate(defang(flatten(value)), max);
}

/**
 * A field AWS writes, not the caller (`eventSource`, `eventName`): flattened and with `://` broken,
 * but host names kept readable (`iam.amazonaws.com`), for the plain-text channels.
 */
export function awsFieldText(value: unknown, max = 300): string {
  return truncate(defangExceptAws(flatten(value)), max);
}

/** `defang`, except AWS service host names (`iam.amazonaws.com`), which stay readable. */
function defangExceptAws(text: string): string {
  return text
    .replace(/:\/\//g, '[:]//')
    .split(/(\s+|:)/)
    .map((part) => (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/.test(part) ? part : defang(part)))
    .join('');
}

/** An e-mail subject: printable ASCII only (SNS rejects control characters), one line. */
export function subjectText(value: unknown): string {
  return defang(flatten(value))
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * An event value for a terminal: one line, no escape sequences (ESC, CSI, OSC), no BEL, no bidi
 * overrides, so a crafted user agent cannot move the cursor, retitle the window or reverse the line.
 */
export function terminalText(value: unknown, max = 2000): string {
  return truncate(flatten(value), max);
}

// --- JSON ------------------------------------------------------------------------------------

/**
 * JSON with the same data as `JSON.stringify`, but every character that could act on a terminal or
 * viewer (controls, C1, bidi overrides, line separators) and every lone surrogate written as a
 * `\uXXXX` escape. `JSON.parse` gives back exactly the original values; printed, it stays inert.
 */
export function safeJson(value: unknown, space?: number): string {
  return inertJsonText(JSON.stringify(value, undefined, space) ?? 'null');
}

/** JSON text with controls, C1, bidi overrides and separators inside it written as `\uXXXX` (same data). */
export function inertJsonText(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
