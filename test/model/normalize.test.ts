import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looseBool, normalize } from '../../shared/model/normalize.ts';
import type { NormalizeResult, TrailEvent } from '../../shared/model/types.ts';
import { EXTERNAL_DIR, hasExternal, readJson } from '../helpers/events.ts';

/** A real-shaped API call record (IAM CreateUser by an assumed role). */
function apiCall(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/alice',
      accountId: '111122223333',
      accessKeyId: 'ASIAEXAMPLEKEY',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: 'arn:aws:iam::111122223333:role/Admin', accountId: '111122223333', userName: 'Admin' },
        attributes: { creationDate: '2026-11-20T08:00:00Z', mfaAuthenticated: 'true' },
      },
    },
    eventTime: '2026-11-20T08:15:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { userName: 'backdoor' },
    responseElements: { user: { userName: 'backdoor' } },
    requestID: 'req-1',
    eventID: '3e1b7c4a-0000-4000-8000-000000000001',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...overrides,
  };
}

function consoleLogin(mfaUsed: unknown, identity: Record<string, unknown> = {}): Record<string, unknown> {
  return apiCall({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventType: 'AwsConsoleSignIn',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333', userName: 'bob', ...identity },
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/', MobileVersion: 'No', MFAUsed: mfaUsed },
  });
}

function envelope(detail: unknown, detailType = 'AWS API Call via CloudTrail', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '0', id: 'env-1', 'detail-type': detailType, source: 'aws.iam', account: '111122223333', time: '2026-11-20T08:15:01Z', region: 'us-east-1', resources: [], detail, ...extra };
}

function ok(result: NormalizeResult): TrailEvent {
  if (!result.ok) throw new Error(`expected an event, got skip: ${result.skip.reason}`);
  return result.event;
}

function skipReason(result: NormalizeResult): string {
  if (result.ok) throw new Error(`expected a skip, got event ${result.event.id}`);
  return result.skip.reason;
}

describe('normalize: the two accepted shapes', () => {
  it('turns an EventBridge envelope and the bare record into the same event', () => {
    const bare = ok(normalize(apiCall()));
    const wrapped = ok(normalize(envelope(apiCall())));
    const { envelope: env, ...rest } = wrapped;
    expect(rest).toEqual(bare);
    expect(env).toEqual({ id: 'env-1', detailType: 'AWS API Call via CloudTrail', source: 'aws.iam', time: '2026-11-20T08:15:01Z' });
  });

  it('flattens the principal, MFA, time and context fields', () => {
    const e = ok(normalize(apiCall()));
    expect(e).toMatchObject({
      id: '3e1b7c4a-0000-4000-8000-000000000001',
      name: 'CreateUser',
      source: 'iam.amazonaws.com',
      region: 'us-east-1',
      account: '111122223333',
      eventType: 'AwsApiCall',
      readOnly: false,
      sourceIp: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0',
      mfaUsed: true,
      time: '2026-11-20T08:15:00.000Z',
      timeMs: Date.UTC(2026, 10, 20, 8, 15, 0),
    });
    expect(e.principal).toEqual({
      type: 'AssumedRole',
      name: 'alice',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/alice',
      principalId: 'AROAEXAMPLEID:alice',
      accountId: '111122223333',
      accessKeyId: 'ASIAEXAMPLEKEY',
      sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/Admin', userName: 'Admin', accountId: '111122223333' },
      mfaAuthenticated: true,
    });
  });

  it('accepts a console sign-in envelope (detail-type "AWS Console Sign In via CloudTrail")', () => {
    const e = ok(normalize(envelope(consoleLogin('Yes'), 'AWS Console Sign In via CloudTrail', { source: 'aws.signin' })));
    expect(e.name).toBe('ConsoleLogin');
    expect(e.envelope?.detailType).toBe('AWS Console Sign In via CloudTrail');
  });

  it('takes the account from the envelope when the record names none', () => {
    const record = apiCall({ recipientAccountId: undefined, userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' } });
    const e = ok(normalize(envelope(record, 'AWS API Call via CloudTrail', { account: '444455556666' })));
    expect(e.account).toBe('444455556666');
    expect(e.principal).toMatchObject({ type: 'AWSService', name: 'cloudtrail.amazonaws.com' });
  });
});

describe('normalize: malformed input is a typed skip, never an exception', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /input is null/],
    ['undefined', undefined, /input is undefined/],
    ['an array', [apiCall()], /input is an array/],
    ['a string', JSON.stringify(apiCall()), /input is string/],
    ['a number', 42, /input is number/],
    ['an empty object', {}, /missing eventID/],
    ['missing eventName', apiCall({ eventName: undefined }), /missing eventName/],
    ['empty eventName', apiCall({ eventName: '' }), /missing eventName/],
    ['missing eventSource', apiCall({ eventSource: undefined }), /missing eventSource/],
    ['missing eventTime', apiCall({ eventTime: undefined }), /^missing eventTime$/],
    ['eventTime not a time', apiCall({ eventTime: 'yesterday' }), /eventTime is not an ISO-8601 time/],
    ['eventTime a bare number string Date.parse would accept', apiCall({ eventTime: '1' }), /eventTime is not an ISO-8601 time/],
    ['eventTime a number', apiCall({ eventTime: 1732090500000 }), /eventTime is not an ISO-8601 time/],
    ['eventID a number', apiCall({ eventID: 7 }), /missing eventID/],
    ['missing userIdentity on an API call', apiCall({ userIdentity: undefined }), /missing userIdentity/],
    ['userIdentity a string', apiCall({ userIdentity: 'root' }), /missing userIdentity/],
    ['missing userIdentity on a sign-in', { ...consoleLogin('No'), userIdentity: null }, /missing userIdentity/],
    ['unknown detail-type', envelope(apiCall(), 'EC2 Instance State-change Notification'), /unsupported detail-type "EC2 Instance State-change Notification"/],
    ['detail-type not a string', envelope(apiCall(), 7 as unknown as string), /without detail-type/],
    ['detail a string', envelope(JSON.stringify(apiCall())), /without a detail object/],
    ['detail an array', envelope([apiCall()]), /without a detail object/],
    ['detail null', envelope(null), /without a detail object/],
    ['envelope without detail-type but with detail and source', { source: 'aws.iam', detail: apiCall() }, /without detail-type/],
  ];
  for (const [label, input, reason] of cases) {
    it(`skips ${label}`, () => {
      expect(skipReason(normalize(input))).toMatch(reason);
    });
  }

  it('keeps the eventID on a skip when it could read one', () => {
    const result = normalize(apiCall({ eventTime: undefined }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.skip.eventId).toBe('3e1b7c4a-0000-4000-8000-000000000001');
  });

  it('survives a record whose getter throws', () => {
    const hostile = Object.defineProperty(apiCall(), 'eventName', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    expect(skipReason(normalize(hostile))).toMatch(/normalisation failed: boom/);
  });

  it('never throws and always returns ok or a non-empty reason for arbitrary JSON (property-based)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ 'detail-type': fc.string(), detail: fc.jsonValue() }), fc.record({ eventID: fc.string(), eventTime: fc.string(), eventName: fc.string(), eventSource: fc.string(), userIdentity: fc.jsonValue() })), (input) => {
        const result = normalize(input);
        if (result.ok) expect(result.event.id.length).toBeGreaterThan(0);
        else expect(result.skip.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('normalize: field shapes seen in real records', () => {
  it('reads sessionCredentialFromConsole as the string "true" and as boolean true', () => {
    const asString = ok(normalize(apiCall({ userIdentity: { ...(apiCall()['userIdentity'] as object), sessionCredentialFromConsole: 'true' } })));
    const asBool = ok(normalize(apiCall({ userIdentity: { ...(apiCall()['userIdentity'] as object), sessionCredentialFromConsole: true } })));
    const absent = ok(normalize(apiCall()));
    expect(asString.principal.sessionCredentialFromConsole).toBe(true);
    expect(asBool.principal.sessionCredentialFromConsole).toBe(true);
    expect(absent.principal.sessionCredentialFromConsole).toBeUndefined();
  });

  it.each([
    ['YES', true],
    ['Yes', true],
    ['yes', true],
    ['No', false],
    ['NO', false],
  ])('reads ConsoleLogin MFAUsed %j as %s', (value, expected) => {
    expect(ok(normalize(consoleLogin(value))).mfaUsed).toBe(expected);
  });

  it('leaves MFA unknown when MFAUsed is garbage rather than guessing', () => {
    expect(ok(normalize(consoleLogin('maybe'))).mfaUsed).toBeUndefined();
  });

  it('accepts an anonymised region like eu-west-2r and fake account ids', () => {
    const e = ok(normalize(apiCall({ awsRegion: 'eu-west-2r', recipientAccountId: '000000000000' })));
    expect(e.region).toBe('eu-west-2r');
    expect(e.account).toBe('000000000000');
  });

  it('accepts an AwsServiceEvent without userIdentity', () => {
    const record = apiCall({ eventType: 'AwsServiceEvent', userIdentity: undefined, eventSource: 'kms.amazonaws.com', eventName: 'RotateKey' });
    const e = ok(normalize(envelope(record, 'AWS Service Event via CloudTrail')));
    expect(e.eventType).toBe('AwsServiceEvent');
    expect(e.principal).toEqual({ type: 'Unknown', name: 'unknown' });
  });

  it('reads readOnly given as a string', () => {
    expect(ok(normalize(apiCall({ readOnly: 'true' }))).readOnly).toBe(true);
  });

  it('takes eventName/eventSource of an Insights record from insightDetails', () => {
    const insight = {
      eventVersion: '1.07',
      eventTime: '2019-11-14T00:51:00Z',
      awsRegion: 'us-east-1',
      eventID: 'insight-1',
      eventType: 'AwsCloudTrailInsight',
      recipientAccountId: '111122223333',
      insightDetails: { state: 'Start', eventSource: 'ssm.amazonaws.com', eventName: 'UpdateInstanceInformation', insightType: 'ApiCallRateInsight' },
      eventCategory: 'Insight',
    };
    const e = ok(normalize(insight));
    expect(e).toMatchObject({ name: 'UpdateInstanceInformation', source: 'ssm.amazonaws.com', eventType: 'AwsCloudTrailInsight' });
  });

  it('names principals by their most useful label', () => {
    const root = ok(normalize(apiCall({ userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', principalId: '111122223333' } })));
    const user = ok(normalize(apiCall({ userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/path/carol', accountId: '111122223333' } })));
    const sso = ok(normalize(apiCall({ userIdentity: { type: 'IdentityCenterUser', userName: 'dave@example.com', principalId: 'p-1', accountId: '111122223333' } })));
    expect([root.principal.name, user.principal.name, sso.principal.name]).toEqual(['root', 'carol', 'dave@example.com']);
  });
});

describe('looseBool', () => {
  it('maps the boolean spellings CloudTrail uses and nothing else', () => {
    expect([looseBool(true), looseBool('TRUE'), looseBool(' yes '), looseBool(false), looseBool('false'), looseBool('No')]).toEqual([true, true, true, false, false, false]);
    expect([looseBool('1'), looseBool(1), looseBool(null), looseBool(undefined), looseBool('')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe.skipIf(!hasExternal('aws-examples'))('normalize: documented AWS example records', () => {
  const dir = join(EXTERNAL_DIR, 'aws-examples');
  const files = hasExternal('aws-examples') ? readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'SOURCES.json') : [];
  // The IAM guide's AssumeRoot example is abridged (no eventID): a skip is the correct answer.
  const ABRIDGED = new Set(['AssumeRoot.iamdocs.json']);
  for (const f of files) {
    it(`${ABRIDGED.has(f) ? 'skips the abridged' : 'normalises'} ${f}`, () => {
      const doc = readJson(join(dir, f));
      for (const record of Array.isArray(doc) ? doc : [doc]) {
        const result = normalize(record);
        if (ABRIDGED.has(f)) expect(result.ok).toBe(false);
        else expect(result.ok ? 'ok' : result.skip.reason).toBe('ok');
      }
    });
  }

  it('reads MFA of the documented console sign-ins as the file names say', () => {
    const mfa = (f: string) => ok(normalize(readJson(join(dir, f)))).mfaUsed;
    expect(mfa('ConsoleLogin.root-success-mfa.awsdocs.json')).toBe(true);
    expect(mfa('ConsoleLogin.root-success-no-mfa.awsdocs.json')).toBe(false);
    expect(mfa('ConsoleLogin.iam-user-success-mfa.awsdocs.json')).toBe(true);
    expect(mfa('ConsoleLogin.iam-user-success-no-mfa.awsdocs.json')).toBe(false);
  });
});

describe.skipIf(!hasExternal('stratus'))('normalize: anonymised Stratus detonation logs', () => {
  it('normalises every record (fake regions such as eu-west-2r included)', () => {
    const dir = join(EXTERNAL_DIR, 'stratus');
    const reasons: string[] = [];
    let n = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      for (const record of readJson(join(dir, f)) as unknown[]) {
        n++;
        const result = normalize(record);
        if (!result.ok) reasons.push(`${f}: ${result.skip.reason}`);
      }
    }
    expect(n).toBeGreaterThan(300);
    expect(reasons).toEqual([]);
  });
});

describe('normalize: event time formats', () => {
  it.each([
    ['2026-11-20T08:15:00Z', '2026-11-20T08:15:00.000Z'],
    ['2026-11-20T08:15:00.123456Z', '2026-11-20T08:15:00.123Z'],
    ['2026-11-20T10:15:00+02:00', '2026-11-20T08:15:00.000Z'],
    // Data-lake exports (Panther, Athena): space separator, nanoseconds, no zone = UTC.
    ['2025-03-05 21:19:44.000000000', '2025-03-05T21:19:44.000Z'],
    ['2021-06-01 04:50:27', '2021-06-01T04:50:27.000Z'],
  ])('reads %s as %s', (input, iso) => {
    expect(ok(normalize(apiCall({ eventTime: input }))).time).toBe(iso);
  });

  it('rejects impossible dates', () => {
    expect(skipReason(normalize(apiCall({ eventTime: '2026-13-45T99:00:00Z' })))).toMatch(/ISO-8601/);
  });
});

describe('normalize: what one record leaves for the next (the reused time, the shared strings)', () => {
  it('gives each record its own time, whatever the record before it had: same text, another text, no time, an invalid one', () => {
    const times = ['2026-11-20T08:15:00Z', '2026-11-20T08:15:00Z', '2026-02-29T23:59:59Z', '2026-11-20T08:15:00Z', undefined, '2026-11-20T08:15:00Z', 'yesterday', '', 42, '2026-11-20T08:15:00Z', '2026-02-28T24:00:00Z'];
    for (const eventTime of times) {
      const result = normalize(apiCall({ eventTime }));
      if (typeof eventTime !== 'string' || eventTime === '' || eventTime === 'yesterday') {
        expect(skipReason(result), String(eventTime)).toMatch(eventTime === undefined ? /missing eventTime/ : /ISO-8601/);
        continue;
      }
      const event = ok(result);
      // What a fresh Date says: 2026 is no leap year (02-29 rolls over to March 1st), hour 24 is the next day.
      expect(event.timeMs, eventTime).toBe(Date.parse(eventTime));
      expect(event.time, eventTime).toBe(new Date(Date.parse(eventTime)).toISOString());
    }
  });

  it('gives the same event for a record however many records with the same strings came before it', () => {
    const first = ok(normalize(apiCall()));
    const records = Array.from({ length: 3 }, () => normalize(JSON.parse(JSON.stringify(apiCall()))));
    for (const r of records) expect(ok(r)).toEqual(first);
    // A record that differs in one string keeps its own value (no stale shared copy).
    const other = ok(normalize(apiCall({ userAgent: 'aws-cli/2.15.1', sourceIPAddress: '198.51.100.8' })));
    expect([other.userAgent, other.sourceIp]).toEqual(['aws-cli/2.15.1', '198.51.100.8']);
    expect(ok(normalize(apiCall())).userAgent).toBe('aws-cli/2.15.0');
  });
});
