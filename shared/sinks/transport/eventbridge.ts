import type { PutEventsRequest, PutEventsResponse } from '@aws-sdk/client-eventbridge';
import type { AwsHttp } from './aws-http.ts';
import { callJson, type JsonService } from './json.ts';

export const EVENTBRIDGE_SERVICE: JsonService = { endpointPrefix: 'events', signingName: 'events', envName: 'EVENTBRIDGE', targetPrefix: 'AWSEvents', version: '1.1' };

/** EventBridge PutEvents over the signed-HTTP path (AWS JSON 1.1). */
export class EventBridgeHttpClient {
  constructor(private readonly http: AwsHttp) {}

  putEvents(input: PutEventsRequest): Promise<PutEventsResponse> {
    return callJson<PutEventsResponse>(this.http, EVENTBRIDGE_SERVICE, 'PutEvents', input);
  }
}
