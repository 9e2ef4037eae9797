/**
 * The AWS query protocol (SNS): a form-encoded POST (`Action`, `Version`, members flattened as
 * `List.member.N`, maps as `Map.entry.N.Name/Value`), answered in XML. Only the response shapes
 * the alerting path reads are decoded (shared/sinks/transport/sns.ts), with XML entities resolved.
 */
import type { AwsResponse, ErrorParser } from './aws-http.ts';

/** RFC 3986 percent-encoding, as the SDK encodes query-protocol values. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function formBody(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([k, v]) => `${encodeQueryValue(k)}=${encodeQueryValue(v)}`).join('&');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

/** The text of the first `<tag>…</tag>` in `xml` (entities decoded), or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXmlText(m[1] as string) : undefined;
}

/** The inner XML of `<tag>…</tag>` (undefined for a missing or self-closed `<tag/>`). */
export function xmlSection(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? (m[1] as string) : undefined;
}

/** Each `<member>…</member>` directly listed in a section. */
export function xmlMembers(section: string | undefined): string[] {
  if (!section) return [];
  return [...section.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => m[1] as string);
}

/** `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>…` */
export const queryError: ErrorParser = (response: AwsResponse) => {
  const error = xmlSection(response.body, 'Error') ?? '';
  const type = xmlText(error, 'Type');
  return {
    code: xmlText(error, 'Code') ?? `Http${response.status}`,
    message: xmlText(error, 'Message') ?? '',
    ...(type === 'Sender' ? { fault: 'client' as const } : type === 'Receiver' ? { fault: 'server' as const } : {}),
  };
};
