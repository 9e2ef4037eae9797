import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { SuggestionProfiler } from '../../shared/tuning/suggest.ts';

let n = 0;
function call(eventSource: string, eventName: string, awsRegion: string, extra: Record<string, unknown> = {}): TrailEvent {
  n += 1;
  const r = normalize({
    eventVersion: '1.09',
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    eventTime: `2026-11-0${1 + (n % 3)}T10:00:00Z`,
    eventSource,
    eventName,
    awsRegion,
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.17.5',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/ops', accountId: '111122223333', userName: 'ops' },
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    eventCategory: 'Management',
    recipientAccountId: '111122223333',
    ...extra,
  });
  if (!r.ok) throw new Error(r.skip.reason);
  return r.event;
}

describe('--suggest: a draft approvedRegions from the regions the history writes in', () => {
  it('counts successful writes the detection would judge, at least 10 per region, region names only', async () => {
    const events: TrailEvent[] = [];
    for (let i = 0; i < 12; i++) events.push(call('ec2.amazonaws.com', 'CreateTags', 'eu-west-1'));
    for (let i = 0; i < 3; i++) events.push(call('ec2.amazonaws.com', 'CreateTags', 'ap-east-1')); // too few
    for (let i = 0; i < 20; i++) events.push(call('iam.amazonaws.com', 'CreateRole', 'us-east-1')); // global service in its home region
    for (let i = 0; i < 20; i++) events.push(call('ec2.amazonaws.com', 'DescribeInstances', 'us-west-2', { readOnly: true })); // reads
    for (let i = 0; i < 20; i++) events.push(call('ec2.amazonaws.com', 'RunInstances', 'sa-east-1', { errorCode: 'Client.UnauthorizedOperation' })); // denied
    for (let i = 0; i < 20; i++) events.push(call('ec2.amazonaws.com', 'CreateTags', 'eu-west-2r')); // an anonymised region
    const profiler = new SuggestionProfiler();
    await profiler.process(events);
    expect(profiler.suggest().approvedRegions).toEqual({ regions: ['eu-west-1'] });
  });

  it('proposes none from a history without writes', async () => {
    const profiler = new SuggestionProfiler();
    await profiler.process([call('ec2.amazonaws.com', 'DescribeInstances', 'eu-west-1', { readOnly: true })]);
    expect(profiler.suggest().approvedRegions).toBeUndefined();
  });
});
