import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const region = (e: TrailEvent) => str(e.requestParameters?.['RegionName']) ?? str(e.requestParameters?.['regionName']);

const JUDGES: JudgeTable = {
  'account.amazonaws.com': {
    EnableRegion: fixed('medium', 'opt-in region enabled', region),
  },
};

export const meta: DetectionMeta = {
  id: 'region-enabled',
  title: 'Opt-in AWS region enabled',
  severity: 'medium',
  description:
    'An opt-in region was enabled for the account (AWS Account Management `EnableRegion`). Attackers enable regions nobody watches to run resources out of sight; Trailwatch rules exist only where they were deployed. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1535'], stratus: [] },
  runbook:
    'Confirm the business need. If unexpected, disable the region again (`aws account disable-region`) after checking what was created there; if it stays, extend CloudTrail forwarding and Trailwatch rules to it.',
  routine: { description: 'Platform teams, once per new region; never routine for workload roles.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
