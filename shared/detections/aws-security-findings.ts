import { makeFinding, ANY } from './finding.ts';
import { where } from './lib/describe.ts';
import { asArray, isObject, path, str } from './lib/values.ts';
import { EXTERNAL_FINDING_EVENT_TYPE } from '../model/external-findings.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** GuardDuty's numeric severity bands (1–3.9 low, 4–6.9 medium, 7–8.9 high, 9–10 critical). */
function guardDutySeverity(value: unknown): Severity {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return 'medium';
  return n >= 9 ? 'critical' : n >= 7 ? 'high' : n >= 4 ? 'medium' : n >= 1 ? 'low' : 'info';
}

/** Security Hub / Inspector severity labels. UNTRIAGED is Inspector's "not scored yet". */
function labelSeverity(label: unknown): Severity {
  switch (str(label)?.toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MEDIUM':
    case 'UNTRIAGED':
      return 'medium';
    case 'LOW':
      return 'low';
    default:
      return 'info';
  }
}

/** Products whose findings reach EventBridge directly; their copies in Security Hub would be reported twice. */
const DIRECT_PRODUCTS = new Set(['GuardDuty', 'Inspector']);

interface Normalised {
  service: string;
  id: string;
  type: string;
  title: string;
  severity: Severity;
  resource?: string;
  principal?: { type: string; name: string; accessKeyId?: string };
  sample?: boolean;
}

function fromGuardDuty(d: Record<string, unknown>): Normalised[] {
  if (path(d, 'service', 'archived') === true) return [];
  const key = path(d, 'resource', 'accessKeyDetails');
  const user = str(path(key, 'userName'));
  const resourceType = str(path(d, 'resource', 'resourceType'));
  const instance = str(path(d, 'resource', 'instanceDetails', 'instanceId'));
  const out: Normalised = {
    service: 'GuardDuty',
    id: str(d['id']) ?? '?',
    type: str(d['type']) ?? '?',
    title: str(d['title']) ?? str(d['type']) ?? 'GuardDuty finding',
    severity: guardDutySeverity(d['severity']),
    sample: path(d, 'service', 'additionalInfo', 'sample') === true,
  };
  const resource = instance ?? str(path(asArray(path(d, 'resource', 's3BucketDetails'))[0], 'name')) ?? (user ? `${resourceType ?? 'AccessKey'} ${user}` : resourceType);
  if (resource) out.resource = resource;
  if (user) {
    out.principal = { type: str(path(key, 'userType')) ?? 'Unknown', name: user };
    const keyId = str(path(key, 'accessKeyId'));
    if (keyId) out.principal.accessKeyId = keyId;
  }
  return [out];
}

function fromSecurityHub(d: Record<string, unknown>): Normalised[] {
  return asArray(d['findings'])
    .filter(isObject)
    .filter((f) => !DIRECT_PRODUCTS.has(str(f['ProductName']) ?? ''))
    .filter((f) => str(f['RecordState']) !== 'ARCHIVED')
    .filter((f) => !['SUPPRESSED', 'RESOLVED'].includes(str(path(f, 'Workflow', 'Status')) ?? ''))
    .filter((f) => str(path(f, 'Compliance', 'Status')) !== 'PASSED')
    .map((f) => {
      const out: Normalised = {
        service: `Security Hub (${str(f['ProductName']) ?? str(f['CompanyName']) ?? 'product'})`,
        id: str(f['Id']) ?? '?',
        type: str(asArray(f['Types'])[0]) ?? str(f['GeneratorId']) ?? '?',
        title: str(f['Title']) ?? 'Security Hub finding',
        severity: labelSeverity(path(f, 'Severity', 'Label')),
      };
      const resource = str(path(asArray(f['Resources'])[0], 'Id'));
      if (resource) out.resource = resource;
      return out;
    });
}

function fromInspector(d: Record<string, unknown>): Normalised[] {
  if ((str(d['status']) ?? 'ACTIVE') !== 'ACTIVE') return [];
  const vuln = str(path(d, 'packageVulnerabilityDetails', 'vulnerabilityId'));
  const out: Normalised = {
    service: 'Inspector',
    id: str(d['findingArn']) ?? '?',
    type: str(d['type']) ?? '?',
    title: `${str(d['title']) ?? 'Inspector finding'}${vuln && !(str(d['title']) ?? '').includes(vuln) ? ` (${vuln})` : ''}`,
    severity: labelSeverity(d['severity']),
  };
  const resource = str(path(asArray(d['resources'])[0], 'id'));
  if (resource) out.resource = resource;
  return [out];
}

export const meta: DetectionMeta = {
  id: 'aws-security-findings',
  title: 'GuardDuty, Security Hub or Inspector finding',
  severity: 'medium',
  description:
    'Findings of AWS\'s own detectors (EventBridge detail-types "GuardDuty Finding", "Security Hub Findings - Imported", "Inspector2 Finding") taken through the same alert path as Trailwatch\'s findings: de-duplication, digests, routing and sinks. Severity follows the detector (GuardDuty 9–10 critical, 7–8.9 high, 4–6.9 medium, below low; Security Hub and Inspector labels). Archived, suppressed, resolved and passed findings are dropped, as are Security Hub copies of GuardDuty and Inspector findings (they arrive directly); GuardDuty sample findings are kept as info.',
  matches: [{ eventSource: [ANY], eventName: [ANY] }],
  references: { cis: ['CIS 4.16 (v3.0): Security Hub is enabled'], securityHub: ['GuardDuty.1', 'SecurityHub.1'], mitre: ['T1078.004'], stratus: [] },
  runbook: 'Follow the detector\'s own remediation for the finding type (the GuardDuty / Security Hub / Inspector console links it); the Trailwatch alert only brings it to the same channel.',
  routine: { description: 'Depends on the detector: low-severity GuardDuty and Inspector findings recur on the same resources.', learnable: true },
};

/** One Trailwatch finding per live finding of another AWS detector. */
export function detect(event: TrailEvent): Finding[] {
  if (event.eventType !== EXTERNAL_FINDING_EVENT_TYPE) return [];
  const d = event.raw as Record<string, unknown>;
  const found = event.source === 'guardduty.amazonaws.com' ? fromGuardDuty(d) : event.source === 'securityhub.amazonaws.com' ? fromSecurityHub(d) : event.source === 'inspector2.amazonaws.com' ? fromInspector(d) : [];
  return found.map((f) => {
    const severity: Severity = f.sample ? 'info' : f.severity;
    const finding = makeFinding(meta, event, {
      title: `${f.service}${f.sample ? ' sample' : ''}: ${f.title}${f.resource ? ` (${f.resource})` : ''} ${where(event)}`,
      severity,
      details: { detector: f.service, findingType: f.type, findingId: f.id, ...(f.resource ? { resource: f.resource } : {}), ...(f.sample ? { sample: true } : {}) },
    });
    if (f.principal) finding.principal = f.principal;
    // Security Hub batches findings in one event: each needs its own id for de-duplication.
    if (found.length > 1) finding.eventId = `${event.id}#${f.id}`;
    if (severity === 'high' || severity === 'critical') finding.inherentRisk = `${f.service} rated this finding ${severity}`;
    return finding;
  });
}

export const detection: Detection = { ...meta, detect };
