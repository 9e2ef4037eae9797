/**
 * The subset of Slack Block Kit Trailwatch emits, and a validator for the limits Slack enforces on
 * it. Slack answers an over-limit message with HTTP 400 (`invalid_blocks`), which would turn a real
 * alert into a dead letter, so the renderer is checked against these rules in tests and before
 * every post.
 */

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type Block =
  | { type: 'header'; text: TextObject & { type: 'plain_text' } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. Required by Slack guidance. */
  text: string;
  blocks: Block[];
  /** One attachment carrying the severity colour bar. */
  attachments?: Array<{ color: string; blocks: Block[]; fallback?: string }>;
}

export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  fieldsPerSection: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Slack truncates message `text` beyond 40,000 characters. */
  messageText: 40000,
} as const;

/** Every rule the message breaks, as human-readable strings; empty when it is valid. */
export function validateSlackMessage(message: unknown): string[] {
  const errors: string[] = [];
  if (message === null || typeof message !== 'object') return ['message is not an object'];
  const m = message as Record<string, unknown>;
  if (typeof m['text'] !== 'string' || m['text'].trim() === '') errors.push('fallback text missing');
  else if (m['text'].length > LIMITS.messageText) errors.push(`fallback text longer than ${LIMITS.messageText}`);
  if (!Array.isArray(m['blocks'])) errors.push('blocks is not an array');
  else errors.push(...validateBlocks(m['blocks'], 'blocks'));
  if (m['attachments'] !== undefined) {
    if (!Array.isArray(m['attachments'])) errors.push('attachments is not an array');
    else {
      m['attachments'].forEach((a: unknown, i: number) => {
        const att = a as Record<string, unknown> | null;
        if (!att || typeof att !== 'object') return void errors.push(`attachments[${i}] is not an object`);
        if (att['color'] !== undefined && (typeof att['color'] !== 'string' || !/^#[0-9A-Fa-f]{6}$/.test(att['color']))) {
          errors.push(`attachments[${i}].color is not a hex colour`);
        }
        if (!Array.isArray(att['blocks'])) errors.push(`attachments[${i}].blocks is not an array`);
        else errors.push(...validateBlocks(att['blocks'], `attachments[${i}].blocks`));
      });
    }
  }
  return errors;
}

function validateText(t: unknown, where: string, max: number, plainOnly = false): string[] {
  if (!t || typeof t !== 'object') return [`${where} is not a text object`];
  const o = t as Record<string, unknown>;
  const errors: string[] = [];
  if (o['type'] !== 'plain_text' && o['type'] !== 'mrkdwn') errors.push(`${where}.type is ${String(o['type'])}`);
  if (plainOnly && o['type'] !== 'plain_text') errors.push(`${where} must be plain_text`);
  if (typeof o['text'] !== 'string' || o['text'].length === 0) errors.push(`${where}.text is empty`);
  else if (o['text'].length > max) errors.push(`${where}.text is ${o['text'].length} chars (max ${max})`);
  return errors;
}

function validateBlocks(blocks: unknown[], where: string): string[] {
  const errors: string[] = [];
  if (blocks.length > LIMITS.blocksPerMessage) errors.push(`${where} has ${blocks.length} blocks (max ${LIMITS.blocksPerMessage})`);
  blocks.forEach((b, i) => {
    const at = `${where}[${i}]`;
    const block = b as Record<string, unknown> | null;
    if (!block || typeof block !== 'object') return void errors.push(`${at} is not an object`);
    switch (block['type']) {
      case 'header':
        errors.push(...validateText(block['text'], `${at}.text`, LIMITS.headerText, true));
        break;
      case 'section': {
        const fields = block['fields'];
        if (block['text'] === undefined && fields === undefined) errors.push(`${at} has neither text nor fields`);
        if (block['text'] !== undefined) errors.push(...validateText(block['text'], `${at}.text`, LIMITS.sectionText));
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length === 0) errors.push(`${at}.fields is empty`);
          else {
            if (fields.length > LIMITS.fieldsPerSection) errors.push(`${at} has ${fields.length} fields (max ${LIMITS.fieldsPerSection})`);
            fields.forEach((f, j) => errors.push(...validateText(f, `${at}.fields[${j}]`, LIMITS.fieldText)));
          }
        }
        break;
      }
      case 'context': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0) errors.push(`${at}.elements is empty`);
        else {
          if (elements.length > LIMITS.contextElements) errors.push(`${at} has ${elements.length} elements (max ${LIMITS.contextElements})`);
          elements.forEach((e, j) => errors.push(...validateText(e, `${at}.elements[${j}]`, LIMITS.sectionText)));
        }
        break;
      }
      case 'divider':
        break;
      default:
        errors.push(`${at}.type ${String(block['type'])} is not one Trailwatch emits`);
    }
  });
  return errors;
}
