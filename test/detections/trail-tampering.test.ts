import { describe, expect, it } from 'vitest';
import { detect, judgeEventSelectors } from '../../shared/detections/trail-tampering.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'trail-tampering';
const first = (name: string, ctx?: Parameters<typeof detect>[1]) => detect(sampleEvent(D, name), ctx)[0];

describe('trail-tampering', () => {
  it('is critical for StopLogging and DeleteTrail', () => {
    expect(first('positive-stop-logging')).toMatchObject({ severity: 'critical', details: { effect: 'logging stopped' } });
    expect(first('positive-delete-trail')).toMatchObject({ severity: 'critical', details: { trail: 'org-trail' } });
  });

  it('is high when UpdateTrail sends the logs to another bucket', () => {
    expect(first('positive-update-trail-bucket')).toMatchObject({ severity: 'high', details: { effect: 'logs now go to bucket exfil-logs-444455556666' } });
  });

  it('reports a denied StopLogging as an attempt (high)', () => {
    expect(first('positive-stop-logging-denied')).toMatchObject({ severity: 'high', details: { attempted: true, errorCode: 'AccessDenied' } });
  });

  it('reports a StopLogging on a wrong trail name as a medium attempt, and ignores other failures', () => {
    const event = sampleEvent('trail-tampering', 'positive-stop-logging-denied');
    const notFound = { ...event, errorCode: 'TrailNotFoundException', errorMessage: 'Unknown trail' };
    expect(detect(notFound)).toMatchObject([{ severity: 'medium', details: { attempted: true, errorCode: 'TrailNotFoundException' } }]);
    expect(detect({ ...notFound, name: 'UpdateTrail' })).toEqual([]);
    expect(detect({ ...notFound, errorCode: 'ConflictException' })).toEqual([]);
  });

  it('judges PutEventSelectors by effect', () => {
    expect(first('positive-event-selectors-no-management')).toMatchObject({ severity: 'high', details: { effect: 'management events are no longer recorded' } });
    expect(judgeEventSelectors({ eventSelectors: [{ includeManagementEvents: true, readWriteType: 'ReadOnly' }] }).severity).toBe('high');
    expect(judgeEventSelectors({ eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All', excludeManagementEventSources: ['kms.amazonaws.com'] }] })).toMatchObject({ severity: 'medium' });
    expect(judgeEventSelectors({ eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All', dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] }] }).severity).toBe('medium');
    expect(judgeEventSelectors({ advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }] }).severity).toBe('high');
    expect(judgeEventSelectors({ advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }] }).severity).toBe('medium');
  });

  it('is critical when Trailwatch itself is disabled (default prefix trailwatch-)', () => {
    expect(first('positive-disable-trailwatch-rule')).toMatchObject({ severity: 'critical', details: { target: 'trailwatch', resource: 'trailwatch-prod-d-root-activity' } });
    expect(first('positive-delete-trailwatch-function')?.severity).toBe('critical');
    expect(first('positive-throttle-trailwatch-function')?.details['effect']).toBe('function throttled to zero concurrency');
  });

  it('is critical when the organization forwarders are removed: stack instances from the StackSet, or the instance stack in a member', () => {
    expect(first('positive-delete-forwarder-stack-instances')).toMatchObject({ severity: 'critical', details: { target: 'trailwatch', resource: 'trailwatch-prod-forwarders' } });
    expect(first('positive-delete-forwarder-stack-in-member')).toMatchObject({ severity: 'critical', details: { target: 'trailwatch' } });
    expect(first('negative-delete-other-stack-instances')).toBeUndefined();
    const ctx = { self: { stackName: 'trailwatch-prod' } };
    expect(detect(sampleEvent(D, 'positive-delete-forwarder-stack-instances'), ctx)).toHaveLength(1);
    expect(detect(sampleEvent(D, 'positive-delete-forwarder-stack-in-member'), { self: { stackName: 'trailwatch-dev' } })).toEqual([]);
  });

  it('uses DetectionContext.self instead of the default prefix when given', () => {
    const ctx = { self: { ruleNamePrefix: 'sec-monitor-', functionNamePrefix: 'sec-monitor-' } };
    expect(detect(sampleEvent(D, 'positive-disable-trailwatch-rule'), ctx)).toEqual([]);
    const e = sampleEvent(D, 'negative-disable-other-rule');
    expect(detect({ ...e, requestParameters: { name: 'sec-monitor-rule-1' } }, ctx)).toHaveLength(1);
    const topic = { ...e, source: 'sns.amazonaws.com', name: 'Unsubscribe', requestParameters: { subscriptionArn: 'arn:aws:sns:us-east-1:111122223333:alerts:6b0d31f4-1c2a-4d1b-9c3e-5f7a8b9c0d1e' } };
    expect(detect(topic, { self: { topicArns: ['arn:aws:sns:us-east-1:111122223333:alerts'] } })[0]?.severity).toBe('critical');
    expect(detect(topic, { self: { topicArns: ['arn:aws:sns:us-east-1:111122223333:other'] } })).toEqual([]);
  });

  it('stays quiet on other resources, re-enabling, failed starts and reads', () => {
    for (const n of ['negative-start-logging-failed', 'negative-disable-other-rule', 'negative-enable-trailwatch-rule', 'negative-other-function-concurrency', 'negative-get-trail-status']) {
      expect(detect(sampleEvent(D, n)), n).toEqual([]);
    }
  });

  it('survives null request parameters', () => {
    const e = sampleEvent(D, 'positive-stop-logging');
    expect(detect({ ...e, requestParameters: null })[0]?.details['trail']).toBe('unknown trail');
    expect(detect({ ...sampleEvent(D, 'positive-disable-trailwatch-rule'), requestParameters: null })).toEqual([]);
  });
});
