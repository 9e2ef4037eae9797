import { describe, expect, it } from 'vitest';
import { detections, getDetection } from '../../shared/detections/index.ts';
import { EXTERNAL_FINDING_EVENT_TYPE } from '../../shared/model/external-findings.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EVENTS_DIR, readJson, sampleEvent } from '../helpers/events.ts';
import { join } from 'node:path';

const detection = getDetection('aws-security-findings')!;
const envelope = (name: string) => readJson(join(EVENTS_DIR, 'aws-security-findings', `${name}.json`)) as Record<string, unknown>;

describe('other detectors\' findings enter the alert path', () => {
  it('normalises GuardDuty, Security Hub and Inspector envelopes into TrailEvents with stable ids', () => {
    const gd = sampleEvent('aws-security-findings', 'positive-guardduty-credential-exfiltration');
    expect(gd).toMatchObject({ eventType: EXTERNAL_FINDING_EVENT_TYPE, source: 'guardduty.amazonaws.com', name: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', account: '111122223333', region: 'us-east-1' });
    expect(gd.id).toMatch(/^guardduty:[0-9a-f]{32}@2026-11-20T09:53:10.402Z$/);
    expect(sampleEvent('aws-security-findings', 'positive-securityhub-control-failed').source).toBe('securityhub.amazonaws.com');
    expect(sampleEvent('aws-security-findings', 'positive-inspector-critical-cve').name).toBe('PACKAGE_VULNERABILITY');
  });

  it('keeps the detector\'s severity and names the affected principal', () => {
    const [gd] = detection.detect(sampleEvent('aws-security-findings', 'positive-guardduty-credential-exfiltration'));
    expect(gd).toMatchObject({ severity: 'high', principal: { type: 'AssumedRole', name: 'web-instance-role', accessKeyId: 'ASIAZ3EXAMPLEINST0001' } });
    expect(gd?.inherentRisk).toBeDefined();
    expect(detection.detect(sampleEvent('aws-security-findings', 'positive-guardduty-portprobe')).map((f) => f.severity)).toEqual(['low']);
    expect(detection.detect(sampleEvent('aws-security-findings', 'positive-securityhub-control-failed')).map((f) => f.severity)).toEqual(['high']);
    const [cve] = detection.detect(sampleEvent('aws-security-findings', 'positive-inspector-critical-cve'));
    expect(cve).toMatchObject({ severity: 'critical', details: { detector: 'Inspector', findingType: 'PACKAGE_VULNERABILITY', resource: 'i-0a1b2c3d4e5f67890' } });
  });

  it('drops archived, closed and passed findings and Security Hub copies of GuardDuty findings', () => {
    for (const name of ['negative-guardduty-archived', 'negative-securityhub-passed-and-guardduty-copy', 'negative-inspector-closed']) expect(detection.detect(sampleEvent('aws-security-findings', name)), name).toEqual([]);
  });

  it('gives each finding of a Security Hub batch its own id, and sample findings are info', () => {
    const env = envelope('positive-securityhub-control-failed');
    const detail = env['detail'] as { findings: Array<Record<string, unknown>> };
    const batch = { ...env, detail: { findings: [detail.findings[0], { ...detail.findings[0], Id: 'arn:aws:securityhub:us-east-1:111122223333:finding/second' }] } };
    const result = normalize(batch);
    expect(result.ok).toBe(true);
    const findings = result.ok ? detection.detect(result.event) : [];
    expect(new Set(findings.map((f) => f.eventId)).size).toBe(2);
    const gdEnv = envelope('positive-guardduty-portprobe');
    const gdDetail = gdEnv['detail'] as Record<string, unknown>;
    const sample = { ...gdEnv, detail: { ...gdDetail, service: { ...(gdDetail['service'] as object), additionalInfo: { sample: true } } } };
    const s = normalize(sample);
    expect(s.ok && detection.detect(s.event).map((f) => [f.severity, f.details['sample']])).toEqual([['info', true]]);
  });

  it('turns broken detector events into counted skips, never crashes', () => {
    const run = runDetections(
      [
        { value: { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: 'nope' } },
        { value: { 'detail-type': 'Security Hub Findings - Imported', source: 'aws.securityhub', detail: { findings: [] } } },
        { value: { 'detail-type': 'Inspector2 Finding', source: 'aws.inspector2', detail: { status: 'ACTIVE' } } },
      ],
      [detection],
    );
    expect(run.findings).toEqual([]);
    expect(run.skips.map((s) => s.reason)).toEqual(['GuardDuty Finding event without a detail object', 'Security Hub event without findings', 'Inspector2 Finding event without a finding id']);
  });

  it('no other detection fires on a detector finding', () => {
    const run = runDetections([{ value: envelope('positive-guardduty-credential-exfiltration') }], detections);
    expect(run.findings.map((f) => f.detection)).toEqual(['aws-security-findings']);
  });
});
