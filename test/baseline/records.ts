import { randomUUID } from 'node:crypto';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { eventBridgeSource } from '../../shared/pipeline/event-rules.ts';

export const ACCOUNT = '111122223333';
export const DAY = 86_400_000;
export const T0 = Date.parse('2026-10-01T00:00:00Z');

/** Who makes a call, as CloudTrail's userIdentity. */
export type Actor =
  | { kind: 'user'; name: string; account?: string }
  | { kind: 'role'; name: string; session?: string; account?: string }
  | { kind: 'account'; account: string; principalId: string }
  | { kind: 'service'; service: string }
  | { kind: 'saml'; provider: string; role: string; person: string };

export function identity(actor: Actor): Record<string, unknown> {
  switch (actor.kind) {
    case 'user': {
      const account = actor.account ?? ACCOUNT;
      return { type: 'IAMUser', principalId: `AIDA${actor.name.toUpperCase().padEnd(16, 'X').slice(0, 16)}`, arn: `arn:aws:iam::${account}:user/${actor.name}`, accountId: account, userName: actor.name, accessKeyId: 'AKIAEXAMPLEUSER00001' };
    }
    case 'role': {
      const account = actor.account ?? ACCOUNT;
      const session = actor.session ?? `${actor.name}-${randomUUID().slice(0, 8)}`;
      return {
        type: 'AssumedRole',
        principalId: `AROA${actor.name.toUpperCase().padEnd(16, 'X').slice(0, 16)}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${actor.name}/${session}`,
        accountId: account,
        accessKeyId: 'ASIAEXAMPLESESSION01',
        sessionContext: { sessionIssuer: { type: 'Role', principalId: `AROA${actor.name.toUpperCase().padEnd(16, 'X').slice(0, 16)}`, arn: `arn:aws:iam::${account}:role/${actor.name}`, accountId: account, userName: actor.name }, attributes: { creationDate: '2026-10-01T00:00:00Z', mfaAuthenticated: 'false' } },
      };
    }
    case 'account':
      return { type: 'AWSAccount', principalId: actor.principalId, accountId: actor.account };
    case 'service':
      return { type: 'AWSService', invokedBy: actor.service };
    case 'saml':
      return { type: 'SAMLUser', principalId: `${actor.provider}:${actor.person}`, userName: actor.person, identityProvider: actor.provider };
  }
}

/** A bare CloudTrail record. */
export function record(time: number, actor: Actor, source: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: identity(actor),
    eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: actor.kind === 'service' ? actor.service : '203.0.113.10',
    userAgent: actor.kind === 'service' ? actor.service : 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
    requestParameters: null,
    responseElements: null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

export function assumeRole(time: number, actor: Actor, roleArn: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const name = actor.kind === 'saml' ? 'AssumeRoleWithSAML' : 'AssumeRole';
  const session = `s-${randomUUID().slice(0, 8)}`;
  return record(time, actor, 'sts.amazonaws.com', name, {
    requestParameters: { roleArn, roleSessionName: session, durationSeconds: 3600, ...(actor.kind === 'saml' ? { principalArn: actor.provider } : {}) },
    responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEASSUMED01', sessionToken: 'redacted', expiration: 'Oct 1, 2026, 1:00:00 AM' }, assumedRoleUser: { assumedRoleId: `AROAEXAMPLE:${session}`, arn: roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + `/${session}` } },
    readOnly: true,
    ...extra,
  });
}

export function consoleLogin(time: number, actor: Actor, ip: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const r = record(time, actor, 'signin.amazonaws.com', 'ConsoleLogin', {
    eventType: 'AwsConsoleSignIn',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'Yes' },
    ...extra,
  });
  if (ip === undefined) delete r['sourceIPAddress'];
  else r['sourceIPAddress'] = ip;
  return r;
}

/** The record wrapped the way EventBridge delivers it. */
export function envelope(r: Record<string, unknown>): Record<string, unknown> {
  const signin = r['eventType'] === 'AwsConsoleSignIn';
  return { version: '0', id: randomUUID(), 'detail-type': signin ? 'AWS Console Sign In via CloudTrail' : 'AWS API Call via CloudTrail', source: eventBridgeSource(String(r['eventSource'])), account: ACCOUNT, time: r['eventTime'], region: r['awsRegion'], resources: [], detail: r };
}

export function toEvent(r: Record<string, unknown>): TrailEvent {
  const n = normalize(envelope(r));
  if (!n.ok) throw new Error(`record does not normalise: ${n.skip.reason}`);
  return n.event;
}
