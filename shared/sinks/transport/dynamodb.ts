import type { AttributeValue, GetItemInput, GetItemOutput, PutItemInput, PutItemOutput, UpdateItemInput, UpdateItemOutput } from '@aws-sdk/client-dynamodb';
import type { AwsHttp } from './aws-http.ts';
import { callJson, type JsonService } from './json.ts';

export const DYNAMODB_SERVICE: JsonService = { endpointPrefix: 'dynamodb', signingName: 'dynamodb', envName: 'DYNAMODB', targetPrefix: 'DynamoDB_20120810', version: '1.0' };

type Wire = Record<string, unknown>;

/** An attribute value as the wire has it (B/BS base64) -> as the SDK returns it (bytes). */
export function decodeAttribute(value: Wire): AttributeValue {
  if (typeof value['B'] === 'string') return { B: Buffer.from(value['B'], 'base64') };
  if (Array.isArray(value['BS'])) return { BS: (value['BS'] as string[]).map((b) => Buffer.from(b, 'base64')) };
  if (Array.isArray(value['L'])) return { L: (value['L'] as Wire[]).map(decodeAttribute) };
  if (value['M'] && typeof value['M'] === 'object') return { M: decodeItem(value['M'] as Record<string, Wire>) };
  return value as unknown as AttributeValue;
}

export function decodeItem(item: Record<string, Wire> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item ?? {})) out[k] = decodeAttribute(v);
  return out;
}

/** DynamoDB UpdateItem, GetItem and PutItem over the signed-HTTP path (AWS JSON 1.0). */
export class DynamoDbHttpClient {
  constructor(private readonly http: AwsHttp) {}

  async updateItem(input: UpdateItemInput): Promise<UpdateItemOutput> {
    const out = await callJson<{ Attributes?: Record<string, Wire> } & Wire>(this.http, DYNAMODB_SERVICE, 'UpdateItem', input);
    return { ...(out as UpdateItemOutput), ...(out.Attributes ? { Attributes: decodeItem(out.Attributes) } : {}) } as UpdateItemOutput;
  }

  async getItem(input: GetItemInput): Promise<GetItemOutput> {
    const out = await callJson<{ Item?: Record<string, Wire> } & Wire>(this.http, DYNAMODB_SERVICE, 'GetItem', input);
    return { ...(out as GetItemOutput), ...(out.Item ? { Item: decodeItem(out.Item) } : {}) } as GetItemOutput;
  }

  async putItem(input: PutItemInput): Promise<PutItemOutput> {
    const out = await callJson<{ Attributes?: Record<string, Wire> } & Wire>(this.http, DYNAMODB_SERVICE, 'PutItem', input);
    return { ...(out as PutItemOutput), ...(out.Attributes ? { Attributes: decodeItem(out.Attributes) } : {}) } as PutItemOutput;
  }
}
