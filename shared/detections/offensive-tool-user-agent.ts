import { makeFinding, ANY } from './finding.ts';
import { where, who } from './lib/describe.ts';
import { offensiveToolFor } from './lib/offensive-tools.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'offensive-tool-user-agent',
  title: 'AWS called by an offensive tool, secret scanner or pentest distribution',
  severity: 'high',
  description:
    'The user agent of a call matches a documented fingerprint (shared/detections/lib/offensive-tools.ts): secret scanners verifying a leaked key (TruffleHog: the key is public), exploitation frameworks (Pacu, Endgame), penetration-testing distributions (Kali, Parrot, Pentoo) and third-party S3 clients used for bulk exfiltration (S3 Browser). Any API, failed or not — a failed call still shows who holds the credentials.',
  matches: [{ eventSource: [ANY], eventName: [ANY] }],
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1078.004', 'T1552.001', 'T1087.004', 'T1526'],
    stratus: [],
  },
  runbook:
    'Ask whether a sanctioned penetration test is running. If not, treat the access key / session as compromised: deactivate it, then review everything it did. A TruffleHog call means the key sits in a public or scanned repository: find and remove it.',
  routine: { description: 'Only during announced penetration tests, from the testers\' principals.', learnable: false },
};

/** Fires on any call whose user agent matches an offensive-tool fingerprint. */
export function detect(event: TrailEvent): Finding[] {
  const tool = offensiveToolFor(event.userAgent);
  if (!tool) return [];
  const finding = makeFinding(meta, event, {
    title: `${who(event)} called ${event.name} with ${tool.tool} (${tool.kind.replace(/-/g, ' ')}) ${where(event)}${event.errorCode ? ` — ${event.errorCode}` : ''}`,
    severity: tool.severity,
    details: { tool: tool.tool, kind: tool.kind, fingerprintSource: tool.source },
  });
  finding.inherentRisk = `credentials used by ${tool.tool}`;
  return [finding];
}

export const detection: Detection = { ...meta, detect };
