import type { PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type { AwsHttp } from './aws-http.ts';
import { callJson, type JsonService } from './json.ts';

/** CloudWatch speaks AWS JSON 1.0 in "query compatible" mode (what the SDK sends today). */
export const CLOUDWATCH_SERVICE: JsonService = {
  endpointPrefix: 'monitoring',
  signingName: 'monitoring',
  envName: 'CLOUDWATCH',
  targetPrefix: 'GraniteServiceVersion20100801',
  version: '1.0',
  queryCompatible: true,
};

/** CloudWatch PutMetricData over the signed-HTTP path. */
export class CloudWatchHttpClient {
  constructor(private readonly http: AwsHttp) {}

  async putMetricData(input: PutMetricDataInput): Promise<void> {
    await callJson<unknown>(this.http, CLOUDWATCH_SERVICE, 'PutMetricData', input);
  }
}
