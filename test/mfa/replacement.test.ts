import { describe, expect, it } from 'vitest';
import { MfaReplacementProcessor } from '../../shared/mfa/replacement.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';

const ACCOUNT = '210987654321';
const T0 = Date.parse('2026-11-03T10:00:00Z');
let seq = 0;

function iam(name: string, minute: number, rp: Record<string, unknown>, caller = 'finance-reports'): TrailEvent {
  seq += 1;
  const r = normalize({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: `AIDA${caller.toUpperCase().replace(/[^A-Z]/g, '')}`, arn: `arn:aws:iam::${ACCOUNT}:user/${caller}`, accountId: ACCOUNT, userName: caller, accessKeyId: 'ASIAZ7QEXAMPLECONSOL' },
    eventTime: new Date(T0 + minute * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.73',
    userAgent: 'Mozilla/5.0',
    requestParameters: rp,
    responseElements: null,
    eventID: `6f1c2d3e-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  if (!r.ok) throw new Error(r.skip.reason);
  return r.event;
}

const serial = `arn:aws:iam::${ACCOUNT}:mfa/finance-reports`;
const removal = (minute: number, caller?: string) => [
  iam('DeactivateMFADevice', minute, { userName: 'finance-reports', serialNumber: serial }, caller),
  iam('DeleteVirtualMFADevice', minute, { serialNumber: serial }, caller),
];
const replacement = (minute: number, caller?: string) => [
  iam('CreateVirtualMFADevice', minute, { virtualMFADeviceName: 'finance-reports', path: '/' }, caller),
  iam('EnableMFADevice', minute, { userName: 'finance-reports', serialNumber: serial }, caller),
];
const later = (minute: number) => iam('ListUsers', minute, {});

describe('MFA replacement: an MFA device replaced is not MFA removed', () => {
  it('does not page when the same user enables a new device minutes later', async () => {
    const p = new MfaReplacementProcessor();
    const findings = [...(await p.process([...removal(0), ...replacement(6), later(60)])), ...(await p.flush())];
    expect(findings).toEqual([]);
    expect(p.stats).toEqual({ removals: 1, replaced: 1, notReplaced: 0 });
  });

  it('pages once, high and inherently risky, when no new device follows within the window', async () => {
    const p = new MfaReplacementProcessor();
    const events = [...removal(0), later(14)];
    expect(await p.process(events)).toEqual([]);
    const [f, ...rest] = await p.process([later(16)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detection: 'mfa-deactivated', severity: 'high', account: ACCOUNT, details: { userName: 'finance-reports', firstEventId: events[0]?.id } });
    expect(f?.inherentRisk).toMatch(/not replaced/);
    expect(f?.eventId).toBe(`${events[0]?.id}-not-replaced`);
  });

  it('still pages when the new device comes too late or from someone else', async () => {
    const tooLate = new MfaReplacementProcessor();
    const a = [...(await tooLate.process([...removal(0), ...replacement(20)])), ...(await tooLate.flush())];
    expect(a.map((f) => f.severity)).toEqual(['high']);
    const other = new MfaReplacementProcessor();
    const b = [...(await other.process([...removal(0), ...replacement(3, 'someone-else')])), ...(await other.flush())];
    expect(b.map((f) => f.severity)).toEqual(['high']);
  });

  it('pages at the end of a replay for a removal still waiting', async () => {
    const p = new MfaReplacementProcessor();
    expect(await p.process(removal(0))).toEqual([]);
    expect((await p.flush()).map((f) => f.detection)).toEqual(['mfa-deactivated']);
  });

  it('tells the detections that it judges replacement', () => {
    expect(new MfaReplacementProcessor().detectionContext).toEqual({ mfaReplacement: { windowMinutes: 15 } });
  });
});
