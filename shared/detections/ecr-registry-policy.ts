import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta } from './types.ts';

/** Account ids named in the registry policy text other than our own. */
function otherAccounts(policy: string | undefined, account: string): string[] {
  if (!policy) return [];
  return [...new Set([...policy.matchAll(/arn:aws[a-z-]*:iam::(\d{12}):|"(\d{12})"/g)].map((m) => m[1] ?? m[2] ?? ''))].filter((a) => a !== '' && a !== account);
}

const registryPolicy: Judge = (e) => {
  const policy = str(e.requestParameters?.['policyText']);
  const others = otherAccounts(policy, e.account);
  const wildcard = policy !== undefined && /"Principal"\s*:\s*(\{\s*"AWS"\s*:\s*)?"\*"/.test(policy);
  return {
    severity: wildcard ? 'high' : others.length > 0 ? 'medium' : 'low',
    effect: wildcard ? 'ECR registry policy set with a wildcard principal' : others.length > 0 ? `ECR registry policy grants ${others.join(', ')}` : 'ECR registry policy set',
    ...(wildcard ? { inherentRisk: 'any AWS account can replicate into or pull through the registry' } : {}),
    details: { otherAccounts: others, wildcardPrincipal: wildcard },
  };
};

const JUDGES: JudgeTable = { 'ecr.amazonaws.com': { PutRegistryPolicy: registryPolicy } };

export const meta: DetectionMeta = {
  id: 'ecr-registry-policy',
  title: 'ECR registry policy set',
  severity: 'medium',
  description:
    'PutRegistryPolicy: the registry-wide policy that lets other accounts replicate images into this registry (or create repositories by pull-through). Low when it names only this account, medium for other accounts, high for a wildcard principal. Repository policies are policy-changed\'s. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1525', 'T1098'], stratus: [] },
  runbook: 'Compare with the replication setup; remove unknown accounts (`aws ecr delete-registry-policy` / put the reviewed one) and check recently pushed images.',
  routine: { description: 'Platform teams set it once when they configure cross-account replication.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
