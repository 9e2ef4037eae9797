/**
 * `trailwatch policy analyze|validate|evaluate` — the policy engine on the command line.
 *
 *   trailwatch policy analyze <file|-> [--kind K] [--account ID] [--previous FILE] [--format text|json] [--fail-on SEV]
 *   trailwatch policy evaluate --policy P.json [--policy ...] [--scp S.json ...] [--rcp R.json ...]
 *       [--boundary B.json] [--session S.json ...] [--resource-policy R.json]
 *       --action A --resource ARN [--principal ARN] [--resource-account ID] [--context key=value ...] [--caller-admin]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyze, CALLER_ADMIN, evaluate, inferKind, parsePolicy, PolicyError, PolicyParseError, validatePolicy, witnessArgs } from '../policy/index.ts';
import type { Analysis, ContextValue, EvaluationInput, NamedPolicy, PolicyKind, ValidationIssue } from '../policy/index.ts';

export interface PolicyIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Reads standard input (for `-`). */
  readStdin(): Promise<string>;
}

const KINDS: PolicyKind[] = ['identity', 'managed', 'aws-managed', 'inline-user', 'inline-role', 'inline-group', 'resource', 's3-bucket', 'kms-key', 'trust', 'scp', 'rcp', 'boundary', 'session'];
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

const USAGE = `usage: trailwatch policy <analyze|validate|evaluate> [options]

  analyze <file|->     findings: admin-access, privilege-escalation (named paths), public-access,
                       cross-account-access, data-access-wildcard, passrole-wildcard,
                       notaction-allow, notresource-allow, invalid-policy, unknown-action
      --kind K         identity (default) | resource | trust | scp | managed | inline-user |
                       inline-role | inline-group | s3-bucket | kms-key | rcp | boundary | session
      --account ID     account that owns the policy (names foreign accounts exactly)
      --previous FILE  previous version: report only what the new one newly grants
      --organization-id ID   zone of trust: this organization is not foreign
      --trusted-account ID   zone of trust: this account is not foreign (repeatable)
      --fail-on SEV    exit 2 when a finding is at or above SEV (${SEVERITIES.join('|')})
  validate <file|->    Access-Analyzer-style errors and warnings (--kind as above); exit 2 on errors,
                       including a file that is not JSON (reported as invalid-json)
  evaluate             decide one request: Allow | ExplicitDeny | ImplicitDeny
      --policy FILE            identity policy (repeatable)
      --scp FILE               one SCP level of the OU path, root first (repeatable; a file may hold an array of policies)
      --rcp FILE               one RCP level (repeatable)
      --boundary FILE          permissions boundary
      --session FILE           session policy (repeatable)
      --resource-policy FILE   the resource's policy (bucket, key, trust…)
      --action A --resource ARN [--principal ARN] [--resource-account ID]
      --context key=value      request context (repeat a key for a multi-valued key)
      --caller-admin           the caller's own account allows it everything (re-runs a cross-account witness)
  common: --format text|json (default text), -h/--help

exit codes:
  0  ok (analyze, validate: no error) / Allow (evaluate)
  1  usage or input error: unknown option, unreadable file, or (analyze, evaluate) a file that is
     not a JSON policy document at all
  2  analyze: --fail-on reached; validate: the policy has errors; evaluate: the request is denied`;

/** Exit codes of `trailwatch policy` (its help above says the same; test/cli checks both). */
export const POLICY_EXIT = { ok: 0, input: 1, finding: 2 } as const;

async function readSource(path: string, io: PolicyIo): Promise<string> {
  return path === '-' ? io.readStdin() : readFileSync(path, 'utf8');
}

function issueLine(i: ValidationIssue): string {
  const where = i.statement !== undefined ? ` [statement ${i.statement}${i.sid ? ` "${i.sid}"` : ''}]` : '';
  return `  ${i.level.toUpperCase().padEnd(7)} ${i.code}${where}: ${i.message}`;
}

const RESOURCE_SIDE = new Set<PolicyKind>(['resource', 's3-bucket', 'kms-key', 'trust']);

function analysisText(a: Analysis, source: string, side: 'identity' | 'resource'): string {
  const lines = [`${source}: ${a.findings.length} finding${a.findings.length === 1 ? '' : 's'}, worst severity ${a.severity}${a.comparedWithPrevious ? ' (only what the new version newly grants)' : ''}`];
  for (const f of a.findings) {
    const statements = f.statements.length > 0 ? ` (statement ${f.statements.map((s) => `${s.index}${s.sid ? ` "${s.sid}"` : ''}`).join(', ')})` : '';
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.id}${statements}`, `           ${f.message}`);
    const w = f.witnesses?.[0];
    if (w) lines.push(`           witness: trailwatch policy evaluate ${witnessArgs(w, source, side).map(shellQuote).join(' ')}`);
  }
  const warnings = a.issues.filter((i) => i.level === 'warning');
  if (warnings.length > 0) lines.push('  validation warnings:', ...warnings.map(issueLine));
  return `${lines.join('\n')}\n`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function analyzeCommand(argv: string[], io: PolicyIo, validateOnly: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      account: { type: 'string' },
      previous: { type: 'string' },
      'organization-id': { type: 'string' },
      'trusted-account': { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(`policy ${validateOnly ? 'validate' : 'analyze'} needs exactly one <file|->`);
  const kind = values.kind as PolicyKind | undefined;
  if (kind !== undefined && !KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
  const failOn = values['fail-on'];
  if (failOn !== undefined && !SEVERITIES.includes(failOn)) throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
  const format = values.format === 'json' ? 'json' : 'text';
  if (values.format !== 'json' && values.format !== 'text') throw new UsageError('--format must be text or json');
  const text = await readSource(file, io);
  const label = file === '-' ? '<stdin>' : file;

  if (validateOnly) {
    const result = validatePolicy(text, kind ? { kind } : {});
    if (format === 'json') io.stdout.write(`${JSON.stringify({ valid: result.valid, issues: result.issues })}\n`);
    else io.stdout.write(`${label}: ${result.valid ? 'valid' : 'INVALID'}${result.issues.length ? '\n' + result.issues.map(issueLine).join('\n') : ''}\n`);
    return result.valid ? POLICY_EXIT.ok : POLICY_EXIT.finding;
  }
  const context: Parameters<typeof analyze>[1] = {};
  if (kind) context.kind = kind;
  if (values.account) context.account = values.account;
  if (values.previous) context.previous = readFileSync(values.previous, 'utf8');
  // Text that is not a policy document at all is an input error (exit 1), not an invalid-policy finding.
  for (const [name, source] of [[label, text], ...(values.previous ? [[values.previous, context.previous as string]] : [])] as Array<[string, string]>) {
    try {
      parsePolicy(source);
    } catch (error) {
      if (error instanceof PolicyParseError) throw new UsageError(`${name}: ${error.message}`);
      throw error;
    }
  }
  if (values['organization-id'] || values['trusted-account']) {
    context.zoneOfTrust = {
      ...(values['organization-id'] ? { organizationId: values['organization-id'] } : {}),
      ...(values['trusted-account'] ? { trustedAccounts: values['trusted-account'] } : {}),
    };
  }
  const analysis = analyze(text, context);
  if (format === 'json') io.stdout.write(`${JSON.stringify(analysis)}\n`);
  else io.stdout.write(analysisText(analysis, label, sideOf(text, kind)));
  if (failOn && analysis.findings.some((f) => SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(failOn))) return POLICY_EXIT.finding;
  return POLICY_EXIT.ok;
}

/** Reads a policy file; a file holding a JSON array gives several policies (an SCP level). */
function policiesFrom(path: string): NamedPolicy[] {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [{ name: path, policy: text }]; // the engine reports the JSON error with its position
  }
  if (Array.isArray(parsed)) return parsed.map((policy, i) => ({ name: `${path}#${i}`, policy }));
  return [{ name: path, policy: parsed }];
}

function parseContext(pairs: string[]): Record<string, ContextValue> {
  const context: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    (context[key] ??= []).push(pair.slice(eq + 1));
  }
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]));
}

async function evaluateCommand(argv: string[], io: PolicyIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      policy: { type: 'string', multiple: true },
      scp: { type: 'string', multiple: true },
      rcp: { type: 'string', multiple: true },
      boundary: { type: 'string' },
      session: { type: 'string', multiple: true },
      'resource-policy': { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      principal: { type: 'string' },
      'resource-account': { type: 'string' },
      context: { type: 'string', multiple: true },
      'caller-admin': { type: 'boolean' },
      format: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.action || !values.resource) throw new UsageError('policy evaluate needs --action and --resource');
  const input: EvaluationInput = {
    request: { action: values.action, resource: values.resource, context: parseContext(values.context ?? []) },
    identityPolicies: [...(values.policy ?? []).flatMap(policiesFrom), ...(values['caller-admin'] ? [CALLER_ADMIN] : [])],
    scps: (values.scp ?? []).map(policiesFrom),
    rcps: (values.rcp ?? []).map(policiesFrom),
    sessionPolicies: (values.session ?? []).flatMap(policiesFrom),
  };
  if (values.principal) input.request.principal = values.principal;
  if (values['resource-account']) input.request.resourceAccount = values['resource-account'];
  if (values.boundary) input.permissionsBoundary = policiesFrom(values.boundary)[0] as NamedPolicy;
  if (values['resource-policy']) input.resourcePolicy = policiesFrom(values['resource-policy'])[0] as NamedPolicy;
  const result = evaluate(input);
  if (values.format === 'json') io.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const who = values.principal ?? 'anonymous';
    io.stdout.write(`${result.decision}: ${who} -> ${values.action} on ${values.resource}\n${result.explanation.map((l) => `  ${l}`).join('\n')}\n`);
  }
  return result.decision === 'Allow' ? POLICY_EXIT.ok : POLICY_EXIT.finding;
}

/** Whether the analysed document is judged as a resource-side policy (its witnesses go to `--resource-policy`). */
function sideOf(text: string, kind: PolicyKind | undefined): 'identity' | 'resource' {
  if (kind) return RESOURCE_SIDE.has(kind) ? 'resource' : 'identity';
  try {
    return RESOURCE_SIDE.has(inferKind(parsePolicy(text).policy)) ? 'resource' : 'identity';
  } catch {
    return 'identity';
  }
}

class UsageError extends Error {}

function defaultIo(): PolicyIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Entry point used by the dispatcher; returns the exit code. Errors become a message and exit 1. */
export async function run(argv: string[], io: PolicyIo = defaultIo()): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'analyze') return await analyzeCommand(rest, io, false);
    if (sub === 'validate') return await analyzeCommand(rest, io, true);
    if (sub === 'evaluate') return await evaluateCommand(rest, io);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    io.stderr.write(`trailwatch policy: ${sub ? `unknown subcommand '${sub}'` : 'missing subcommand'}\n${USAGE}\n`);
    return 1;
  } catch (error) {
    const known = error instanceof UsageError || error instanceof PolicyError || (error as NodeJS.ErrnoException).code !== undefined;
    const message = known ? (error as Error).message : ((error as Error).stack ?? String(error));
    io.stderr.write(`trailwatch policy: ${message}\n`);
    return 1;
  }
}
