import { stringify } from 'yaml';
import type { Finding, TrailEvent } from '../model/types.ts';
import { networkOf, userAgentFamily } from '../novelty/keys.ts';
import type { StreamProcessor } from '../pipeline/types.ts';
import { REGION_NAME } from '../detections/lib/regions.ts';
import { exemption } from '../detections/unused-region-activity.ts';
import type { ActorEntry, TuningConfig, VendorEntry } from './types.ts';

/** What the history shows about one actor (role sessions folded into their role). */
interface ActorStats {
  arn: string;
  calls: number;
  writes: number;
  errors: number;
  days: Set<string>;
  agents: Map<string, number>;
  networks: Map<string, number>;
}

const IAC_AGENTS = /^(terraform|pulumi|aws-cdk|cloudformation)\/|^cloudformation\.amazonaws\.com$/;
const DEPLOYER_NAME = /(deploy|terraform|pipeline|github|gitlab|atlantis|spacelift|cdk|ci[-_]|[-_]ci\b|iac)/i;
const SCANNER_NAME = /(scan|audit|security|inventory|prowler|wiz|orca|lacework|cspm|readonly|read-only)/i;
/** Bounds: the profiler's memory grows with actors, not events; each actor keeps its top values only. */
const MAX_ACTORS = 20_000;
const MAX_VALUES = 64;
/** Successful writes (as unused-region-activity judges them) a region needs before the draft approves it. */
const MIN_REGION_WRITES = 10;

/**
 * `trailwatch replay --suggest`: watches every replayed event (a stream processor that emits no
 * findings) and proposes a draft tuning file — likely deployers (IaC user agents or pipeline role
 * names making many changes on several days, with the networks they ran from), scanners (read-only
 * actors active on several days) and vendors (foreign accounts assuming roles with an ExternalId),
 * plus the accounts seen and the regions written in (approvedRegions: at least 10 successful writes
 * that unused-region-activity would judge) — for a human to review. Nothing it proposes is applied automatically.
 */
export class SuggestionProfiler implements StreamProcessor {
  readonly name = 'suggest';
  /** Cross-account AssumeRole with an external id: the role and the id. */
  readonly requestParameters: readonly string[] = ['externalId', 'roleArn'];
  private readonly actors = new Map<string, ActorStats>();
  private readonly vendors = new Map<string, VendorEntry & { role: string }>();
  private readonly accounts = new Set<string>();
  /** Region -> successful writes unused-region-activity would judge (global services in their home region left out). */
  private readonly regionWrites = new Map<string, number>();
  private days = new Set<string>();

  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    for (const e of events) this.observe(e);
    return [];
  }

  async flush(): Promise<Finding[]> {
    return [];
  }

  private observe(e: TrailEvent): void {
    if (e.account) this.accounts.add(e.account);
    const day = e.time.slice(0, 10);
    this.days.add(day);
    const p = e.principal;
    if (e.name === 'AssumeRole') this.observeAssumeRole(e);
    if (!e.errorCode && exemption(e) === undefined && (this.regionWrites.has(e.region) || this.regionWrites.size < MAX_VALUES)) this.regionWrites.set(e.region, (this.regionWrites.get(e.region) ?? 0) + 1);
    if (p.type === 'AWSService' || p.type === 'AWSAccount') return;
    const arn = p.sessionIssuer?.arn ?? p.arn;
    if (!arn) return;
    let s = this.actors.get(arn);
    if (!s) {
      if (this.actors.size >= MAX_ACTORS) return;
      s = { arn, calls: 0, writes: 0, errors: 0, days: new Set(), agents: new Map(), networks: new Map() };
      this.actors.set(arn, s);
    }
    s.calls += 1;
    if (e.readOnly === false) s.writes += 1;
    if (e.errorCode) s.errors += 1;
    s.days.add(day);
    bump(s.agents, userAgentFamily(e.userAgent));
    bump(s.networks, networkOf(e.sourceIp));
  }

  private observeAssumeRole(e: TrailEvent): void {
    const externalId = e.requestParameters?.['externalId'];
    const roleArn = e.requestParameters?.['roleArn'];
    const caller = e.principal.accountId;
    if (typeof externalId !== 'string' || !caller || caller === e.account || this.accounts.has(caller)) return;
    const key = `${caller}\u0000${externalId}`;
    if (!this.vendors.has(key)) this.vendors.set(key, { name: `vendor-${caller}`, account: caller, externalId, role: typeof roleArn === 'string' ? roleArn : '' });
  }

  /** The draft configuration inferred from the history replayed so far. */
  suggest(): TuningConfig {
    const spanDays = Math.max(1, this.days.size);
    const minDays = Math.min(2, spanDays);
    const deployers: ActorEntry[] = [];
    const scanners: ActorEntry[] = [];
    for (const s of this.actors.values()) {
      const topAgent = topKey(s.agents);
      const roleName = s.arn.split('/').pop() ?? s.arn;
      if (s.days.size < minDays) continue;
      if (s.writes >= 20 && ((topAgent && IAC_AGENTS.test(topAgent)) || DEPLOYER_NAME.test(roleName))) {
        deployers.push(entry(s, roleName));
      } else if (s.calls >= 200 && s.writes / s.calls < 0.01 && (SCANNER_NAME.test(roleName) || s.days.size >= spanDays)) {
        scanners.push(entry(s, roleName));
      }
    }
    // Vendors: only foreign accounts (the accounts seen in the logs are this organization's).
    const vendors = [...this.vendors.values()].filter((v) => !this.accounts.has(v.account)).map(({ role: _r, ...v }) => v);
    const config: TuningConfig = { version: 1 };
    if (this.accounts.size > 0) config.organization = { accounts: [...this.accounts].sort().map((id) => ({ id, name: `account-${id}` })) };
    if (deployers.length > 0) config.deployers = deployers.sort((a, b) => a.name.localeCompare(b.name));
    if (scanners.length > 0) config.scanners = scanners.sort((a, b) => a.name.localeCompare(b.name));
    if (vendors.length > 0) config.vendors = vendors;
    // The regions the history writes in: a draft approvedRegions (review it: an intruder's region in the history would be here too).
    const regions = [...this.regionWrites].filter(([r, n]) => n >= MIN_REGION_WRITES && REGION_NAME.test(r)).map(([r]) => r).sort();
    if (regions.length > 0) config.approvedRegions = { regions };
    return config;
  }
}

/** The draft as YAML with a header telling the reader it is a proposal. */
export function formatSuggestion(config: TuningConfig): string {
  return `# Draft Trailwatch tuning inferred by \`trailwatch replay --suggest\` from the replayed history.\n# REVIEW EVERY ENTRY before using it: a deployer or scanner declared here is trusted to be routine.\n# Validate with: trailwatch config validate <file>\n${stringify(config)}`;
}

function bump(map: Map<string, number>, value: string | undefined): void {
  if (value === undefined) return;
  if (map.has(value) || map.size < MAX_VALUES) map.set(value, (map.get(value) ?? 0) + 1);
}

function topKey(map: Map<string, number>): string | undefined {
  let best: [string, number] | undefined;
  for (const kv of map) if (!best || kv[1] > best[1]) best = kv;
  return best?.[0];
}

/** The actor's own ARN pattern and, when few /24s cover 95% of its calls, those networks. */
function entry(s: ActorStats, name: string): ActorEntry {
  const principal = s.arn.replace(/^arn:aws([a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:aws$1:iam::$2:role/$3');
  const out: ActorEntry = { name, principals: [principal] };
  const nets = [...s.networks.entries()].filter(([n]) => n.endsWith('/24')).sort((a, b) => b[1] - a[1]);
  let covered = 0;
  const chosen: string[] = [];
  for (const [n, c] of nets) {
    if (covered >= 0.95 * s.calls || chosen.length >= 4) break;
    chosen.push(n);
    covered += c;
  }
  if (chosen.length > 0 && covered >= 0.95 * s.calls) out.networks = chosen;
  return out;
}
