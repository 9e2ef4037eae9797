import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';

let seq = 0;

/** A realistic CloudTrail API-call record for an IAM user or an assumed-role session. */
export function record(opts: {
  time: number;
  user?: string;
  role?: string;
  accessKeyId?: string;
  eventName?: string;
  eventSource?: string;
  errorCode?: string;
  ip?: string;
  id?: string;
  account?: string;
}): Record<string, unknown> {
  const account = opts.account ?? '111122223333';
  seq += 1;
  const userIdentity = opts.role
    ? {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${opts.role}-session-${seq % 7}`,
        arn: `arn:aws:sts::${account}:assumed-role/${opts.role}/${opts.role}-session-${seq % 7}`,
        accountId: account,
        accessKeyId: opts.accessKeyId ?? `ASIAEXAMPLE${seq % 7}`,
        sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::${account}:role/${opts.role}`, accountId: account, userName: opts.role } },
      }
    : {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${account}:user/${opts.user ?? 'alice'}`,
        accountId: account,
        userName: opts.user ?? 'alice',
        accessKeyId: opts.accessKeyId ?? 'AKIAEXAMPLEALICE0001',
      };
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: new Date(opts.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: opts.eventSource ?? 'ec2.amazonaws.com',
    eventName: opts.eventName ?? 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: opts.ip ?? '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6',
    ...(opts.errorCode ? { errorCode: opts.errorCode, errorMessage: 'You are not authorized to perform this operation.' } : {}),
    requestParameters: null,
    responseElements: null,
    eventID: opts.id ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}

export function event(opts: Parameters<typeof record>[0]): TrailEvent {
  const r = normalize(record(opts));
  if (!r.ok) throw new Error(r.skip.reason);
  return r.event;
}

export const T0 = Date.parse('2026-03-02T00:00:00Z');
export const MIN = 60_000;

/** `perMinute` calls spread over each minute of [fromMinute, toMinute). */
export function steady(fromMinute: number, toMinute: number, perMinute: number, opts: Omit<Parameters<typeof record>[0], 'time'> = {}): TrailEvent[] {
  const out: TrailEvent[] = [];
  for (let m = fromMinute; m < toMinute; m += 1) {
    for (let i = 0; i < perMinute; i += 1) out.push(event({ ...opts, time: T0 + m * MIN + Math.floor(((i + 0.5) * MIN) / perMinute) }));
  }
  return out;
}
