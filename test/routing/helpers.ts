import { join } from 'node:path';
import { detections } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createPolicyEnricher } from '../../shared/policy/enricher.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';

/** The findings the detections (and the policy engine, locally) produce for one sample, changed by `edit`. */
export async function sampleFindings(folder: string, name: string, edit: (envelope: Record<string, unknown>, detail: Record<string, unknown>) => void = () => {}): Promise<Finding[]> {
  const envelope = structuredClone(readJson(join(EVENTS_DIR, folder, `${name}.json`))) as Record<string, unknown>;
  const detail = (envelope['detail'] ?? envelope) as Record<string, unknown>;
  edit(envelope, detail);
  const run = runDetections([{ value: envelope }], detections);
  return createPolicyEnricher({ mode: 'local' }).enrich(run.findings);
}

/** Same as `sampleFindings` but exactly one finding of `detection`. */
export async function oneFinding(folder: string, name: string, edit?: Parameters<typeof sampleFindings>[2]): Promise<Finding> {
  const found = (await sampleFindings(folder, name, edit)).filter((f) => f.detection === folder);
  if (found.length !== 1) throw new Error(`${folder}/${name}: expected one ${folder} finding, got ${found.length}`);
  return found[0] as Finding;
}

/** A role session of `role` in account 111122223333 (as CloudTrail logs an assumed role). */
export function asRole(detail: Record<string, unknown>, role: string, session = 'gha-run-1'): void {
  detail['userIdentity'] = {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${session}`,
    arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
    accountId: '111122223333',
    accessKeyId: 'ASIAEXAMPLE000000001',
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::111122223333:role/${role}`, accountId: '111122223333', userName: role }, attributes: { mfaAuthenticated: 'false', creationDate: '2026-11-20T08:00:00Z' } },
  };
}
