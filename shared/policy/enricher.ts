/**
 * The policy FindingEnricher: the I/O the pure `policy-changed` detection may not do. When deployed
 * (mode 'lambda') it fetches, with the injected IAM client, the default version of a customer-managed
 * policy that was attached, the version document a SetDefaultPolicyVersion switched to, and the
 * previous default version of a policy that got a new version, then judges them with the engine
 * (only what the change newly grants, when a previous version is known). In mode 'local' (replay)
 * it makes no AWS call and says the content is unknown offline. It never throws: on any failure the
 * finding is returned unchanged apart from a note saying why.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Finding, Severity } from '../model/types.ts';
import { maxSeverity, SEVERITIES } from '../model/types.ts';
import type { FindingEnricher } from '../pipeline/enrichers.ts';
import { analyze } from './analyze.ts';
import { toChangeAnalysis } from './change-analysis.ts';
import type { ChangeAnalysis } from './change-analysis.ts';

export interface PolicyEnricherOptions {
  mode: 'lambda' | 'local';
  /** Injected so tests use aws-sdk-client-mock; created lazily in Lambda when absent. */
  iam?: Pick<IAMClient, 'send'>;
}

const OFFLINE_NOTE = 'content unknown offline: the policy document is fetched with iam:GetPolicyVersion only when deployed';

// The IAM client and its commands load on the first fetch only (a dynamic import; a separate chunk
// in the bundle): most detect invocations never call IAM, and the client was ~130 KB of the
// detect cold start (docs/performance.md).
const iamModule = (): Promise<typeof import('@aws-sdk/client-iam')> => import('@aws-sdk/client-iam');

async function versionDocument(iam: Pick<IAMClient, 'send'>, policyArn: string, versionId: string): Promise<string> {
  const { GetPolicyVersionCommand } = await iamModule();
  const out = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
  const doc = out.PolicyVersion?.Document;
  if (!doc) throw new Error(`GetPolicyVersion returned no document for ${policyArn} ${versionId}`);
  return doc; // URL-encoded JSON: parsePolicy decodes it
}

async function defaultVersionId(iam: Pick<IAMClient, 'send'>, policyArn: string): Promise<string> {
  const { GetPolicyCommand } = await iamModule();
  const out = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  const id = out.Policy?.DefaultVersionId;
  if (!id) throw new Error(`GetPolicy returned no default version for ${policyArn}`);
  return id;
}

/** The version that was the default before `newVersionId` (the most recently created other version). */
async function previousVersionId(iam: Pick<IAMClient, 'send'>, policyArn: string, newVersionId: string | undefined): Promise<string | undefined> {
  const { ListPolicyVersionsCommand } = await iamModule();
  const out = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
  const others = (out.Versions ?? [])
    .filter((v) => v.VersionId && v.VersionId !== newVersionId && !(newVersionId === undefined && v.IsDefaultVersion))
    .sort((a, b) => (b.CreateDate?.getTime() ?? 0) - (a.CreateDate?.getTime() ?? 0));
  return others[0]?.VersionId;
}

function severityFrom(analysis: ChangeAnalysis, current: Severity): Severity {
  return maxSeverity('low', analysis.severity ?? current);
}

/** Creates the enricher; register it in `createEnrichers`. */
export function createPolicyEnricher(options: PolicyEnricherOptions): FindingEnricher {
  let client = options.iam;
  const getClient = async (): Promise<Pick<IAMClient, 'send'>> => {
    if (!client) {
      const { IAMClient: Client } = await iamModule();
      client = new Client({});
    }
    return client;
  };

  async function enrichOne(finding: Finding): Promise<Finding> {
    const analysis = finding.details['analysis'] as ChangeAnalysis | undefined;
    const change = finding.details['change'] as { kind?: string; document?: unknown; setAsDefault?: boolean } | undefined;
    if (finding.detection !== 'policy-changed' || !analysis) return finding;
    const needsFetch = analysis.status === 'pending-fetch' || (change?.kind === 'version' && change.document !== undefined && analysis.policyArn !== undefined && !analysis.comparedWithPrevious);
    if (!needsFetch || !analysis.policyArn) return finding;
    if (options.mode === 'local') {
      if (analysis.status !== 'pending-fetch') return finding;
      return { ...finding, details: { ...finding.details, analysis: { ...analysis, status: 'content-unknown', note: OFFLINE_NOTE } } };
    }
    try {
      const iam = await getClient();
      const arn = analysis.policyArn;
      let document: unknown;
      let previous: unknown;
      if (change?.kind === 'version' && change.document !== undefined) {
        // CreatePolicyVersion: the new document is in the record; fetch the previous default to diff.
        document = change.document;
        const prev = await previousVersionId(iam, arn, analysis.versionId);
        if (prev) previous = await versionDocument(iam, arn, prev);
      } else if (change?.kind === 'version') {
        // SetDefaultPolicyVersion: judge the version now in force against the one created before it.
        const versionId = analysis.versionId ?? (await defaultVersionId(iam, arn));
        document = await versionDocument(iam, arn, versionId);
        const prev = await previousVersionId(iam, arn, versionId);
        if (prev) previous = await versionDocument(iam, arn, prev);
      } else {
        // Attach*Policy / boundary of a customer-managed policy: judge its default version.
        document = await versionDocument(iam, arn, await defaultVersionId(iam, arn));
      }
      const result = toChangeAnalysis(analyze(document, { kind: 'managed', ...(previous !== undefined ? { previous } : {}), ...(finding.account ? { account: finding.account } : {}) }), 'managed');
      const enriched: ChangeAnalysis = { ...result, policyArn: arn, ...(analysis.versionId ? { versionId: analysis.versionId } : {}), note: previous !== undefined ? 'fetched with iam:GetPolicyVersion; findings are what the new version newly grants' : 'fetched with iam:GetPolicyVersion' };
      let severity = severityFrom(enriched, finding.severity);
      // A new version that is not the default is not in force yet: one step lower (as the detection does).
      if (change?.kind === 'version' && change.setAsDefault !== true && severity !== 'low') {
        severity = maxSeverity('low', SEVERITIES[SEVERITIES.indexOf(severity) - 1] ?? 'low');
      }
      const top = enriched.findings.find((f) => f.severity === enriched.severity);
      const title = top && severity !== 'low' && !finding.title.includes(top.message) ? `${finding.title}: ${top.message}` : finding.title;
      return { ...finding, severity, title, details: { ...finding.details, analysis: enriched } };
    } catch (error) {
      const note = `could not fetch the policy document: ${(error as Error).name ?? 'Error'}: ${(error as Error).message}`;
      return { ...finding, details: { ...finding.details, analysis: { ...analysis, note } } };
    }
  }

  return {
    name: 'policy-documents',
    async enrich(findings: Finding[]): Promise<Finding[]> {
      const out: Finding[] = [];
      for (const f of findings) {
        try {
          out.push(await enrichOne(f));
        } catch {
          out.push(f);
        }
      }
      return out;
    },
  };
}
