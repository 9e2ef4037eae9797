import { parseArn } from './arn.ts';
import { evaluate } from './evaluate.ts';
import { PROBE_TEMPLATES } from './escalation-paths.ts';
import type { ProbeKind } from './escalation-paths.ts';
import { actionMatches } from './statement-match.ts';
import type { ConditionMode } from './statement-match.ts';
import type { DecidingStatement, NamedPolicy, Policy } from './types.ts';

/** Account used for probes when the owner account is unknown (AWS's documentation example account). */
export const PROBE_ACCOUNT = '111122223333';
const PROBE_NAME = 'trailwatch-probe';

/** What a set of identity policies lets its holder do, asked action by action through the evaluator. */
export interface Grant {
  allowed: boolean;
  /** True when only allowed if the statements' conditions hold. */
  conditional: boolean;
  statements: DecidingStatement[];
  /** The resource the grant was proven on. */
  resource?: string;
}

function fill(field: string, filler: string): string {
  return field.replace(/\$\{[^}]*\}/g, 'x').replace(/[*?]/g, filler);
}

/** Instantiates a Resource pattern into a concrete ARN (wildcards become plausible values). */
function instantiate(pattern: string, account: string): string | undefined {
  const arn = parseArn(pattern);
  if (!arn) return undefined;
  const partition = /[*?]/.test(arn.partition) ? 'aws' : arn.partition;
  const region = arn.region === '' ? '' : /^[*?]+$/.test(arn.region) ? 'us-east-1' : fill(arn.region, 'x');
  const acct = arn.account === '' ? '' : /[*?$]/.test(arn.account) ? account : arn.account;
  return `arn:${partition}:${fill(arn.service, 'x')}:${region}:${acct}:${fill(arn.resource, 'x')}`;
}

/**
 * Asks "can the holder of these identity policies do `action` on some exploitable resource of this
 * kind?". Candidates are the kind's probe ARN in each known account plus every Resource pattern
 * of the Allow statements for that action, instantiated; AWS-owned resources (account `aws`, e.g.
 * AWS managed policies) are never exploitable. Each candidate goes through the real evaluator, so
 * Deny statements, NotAction/NotResource and conditions decide.
 */
export class Capability {
  private readonly policies: NamedPolicy[];
  private readonly accounts: string[];
  private readonly cache = new Map<string, Grant>();

  constructor(policies: Array<{ name: string; policy: Policy }>, accounts: string[]) {
    this.policies = policies;
    this.accounts = accounts.length > 0 ? accounts : [PROBE_ACCOUNT];
  }

  private allowStatementsFor(action: string): Array<{ policy: Policy; resources: string[] }> {
    const out: Array<{ policy: Policy; resources: string[] }> = [];
    for (const { policy } of this.policies as Array<{ policy: Policy }>) {
      for (const s of policy.statements) {
        if (s.effect === 'Allow' && actionMatches(s, action)) out.push({ policy, resources: s.resource ?? [] });
      }
    }
    return out;
  }

  /** Concrete resources to try for this action and kind. */
  candidates(action: string, kind: ProbeKind): string[] {
    const template: string = PROBE_TEMPLATES[kind];
    if (template === '*') return ['*'];
    const out = new Set<string>();
    for (const account of this.accounts) out.add(template.replace('{account}', account).replace('{name}', PROBE_NAME));
    const t = parseArn(template.replace('{account}', '1').replace('{name}', ''));
    const typePrefix = (t?.resource ?? '').split(/[{]/)[0] as string;
    for (const { resources } of this.allowStatementsFor(action)) {
      for (const pattern of resources) {
        if (pattern === '*') continue;
        for (const account of this.accounts) {
          const candidate = instantiate(pattern, account);
          const c = candidate ? parseArn(candidate) : undefined;
          if (!c || !t || c.service !== t.service || c.account === 'aws') continue;
          if (!c.resource.startsWith(typePrefix)) continue;
          out.add(candidate as string);
        }
      }
    }
    return [...out];
  }

  /** Evaluates the action on the candidates; strict conditions first, then optimistic. */
  can(action: string, kind: ProbeKind): Grant {
    const key = `${action}|${kind}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let result: Grant = { allowed: false, conditional: false, statements: [] };
    if (this.allowStatementsFor(action).length > 0) {
      const candidates = this.candidates(action, kind);
      for (const mode of ['evaluate', 'optimistic'] as ConditionMode[]) {
        for (const resource of candidates) {
          const account = parseArn(resource)?.account || this.accounts[0];
          const principal = `arn:aws:iam::${account}:user/trailwatch-analyzer`;
          const r = evaluate({ request: { principal, action, resource }, identityPolicies: this.policies, conditionMode: mode });
          if (r.decision === 'Allow') {
            result = { allowed: true, conditional: mode === 'optimistic', statements: r.deciding, resource };
            break;
          }
        }
        if (result.allowed) break;
      }
    }
    this.cache.set(key, result);
    return result;
  }
}
