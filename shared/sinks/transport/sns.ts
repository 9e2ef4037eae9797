import type { PublishBatchInput, PublishBatchResponse } from '@aws-sdk/client-sns';
import type { AwsHttp, ServiceSpec } from './aws-http.ts';
import { formBody, queryError, xmlMembers, xmlSection, xmlText } from './query.ts';

export const SNS_SERVICE: ServiceSpec = { endpointPrefix: 'sns', signingName: 'sns', envName: 'SNS' };
const VERSION = '2010-03-31';

/** The query-protocol form of a PublishBatch request, field by field (the SDK's member and entry numbering, from 1). */
export function publishBatchForm(input: PublishBatchInput): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ['Action', 'PublishBatch'],
    ['Version', VERSION],
  ];
  if (input.TopicArn !== undefined) fields.push(['TopicArn', input.TopicArn]);
  (input.PublishBatchRequestEntries ?? []).forEach((entry, i) => {
    const p = `PublishBatchRequestEntries.member.${i + 1}`;
    if (entry.Id !== undefined) fields.push([`${p}.Id`, entry.Id]);
    if (entry.Message !== undefined) fields.push([`${p}.Message`, entry.Message]);
    if (entry.Subject !== undefined) fields.push([`${p}.Subject`, entry.Subject]);
    if (entry.MessageStructure !== undefined) fields.push([`${p}.MessageStructure`, entry.MessageStructure]);
    Object.entries(entry.MessageAttributes ?? {}).forEach(([name, value], j) => {
      const a = `${p}.MessageAttributes.entry.${j + 1}`;
      fields.push([`${a}.Name`, name]);
      if (value.DataType !== undefined) fields.push([`${a}.Value.DataType`, value.DataType]);
      if (value.StringValue !== undefined) fields.push([`${a}.Value.StringValue`, value.StringValue]);
      if (value.BinaryValue !== undefined) fields.push([`${a}.Value.BinaryValue`, Buffer.from(value.BinaryValue).toString('base64')]);
    });
    if (entry.MessageDeduplicationId !== undefined) fields.push([`${p}.MessageDeduplicationId`, entry.MessageDeduplicationId]);
    if (entry.MessageGroupId !== undefined) fields.push([`${p}.MessageGroupId`, entry.MessageGroupId]);
  });
  return fields;
}

/** `<PublishBatchResult><Successful><member>…</member></Successful><Failed>…</Failed></PublishBatchResult>` */
export function parsePublishBatch(xml: string): PublishBatchResponse {
  const result = xmlSection(xml, 'PublishBatchResult') ?? '';
  const text = (m: string, tag: string): string | undefined => xmlText(m, tag);
  const successful = xmlMembers(xmlSection(result, 'Successful')).map((m) => {
    const s: { Id?: string; MessageId?: string; SequenceNumber?: string } = {};
    const id = text(m, 'Id');
    const messageId = text(m, 'MessageId');
    const sequence = text(m, 'SequenceNumber');
    if (id !== undefined) s.Id = id;
    if (messageId !== undefined) s.MessageId = messageId;
    if (sequence !== undefined) s.SequenceNumber = sequence;
    return s;
  });
  const failed = xmlMembers(xmlSection(result, 'Failed')).map((m) => ({
    Id: text(m, 'Id'),
    Code: text(m, 'Code'),
    Message: text(m, 'Message'),
    SenderFault: text(m, 'SenderFault')?.trim() === 'true',
  }));
  return { Successful: successful, Failed: failed } as PublishBatchResponse;
}

/** SNS PublishBatch over the signed-HTTP path. */
export class SnsHttpClient {
  constructor(private readonly http: AwsHttp) {}

  async publishBatch(input: PublishBatchInput): Promise<PublishBatchResponse> {
    const response = await this.http.send(
      { service: SNS_SERVICE, operation: 'PublishBatch', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: formBody(publishBatchForm(input)) },
      queryError,
    );
    return parsePublishBatch(response.body);
  }
}
