import type { Severity } from '../model/types.ts';

/**
 * The user's tuning, as checked in (`trailwatch.config.yaml`): what is normal in this organization.
 * The deployed stack and `trailwatch replay --config` read the same file, so both decide identically.
 * Every list is optional; an empty file means "zero configuration".
 */
export interface TuningConfig {
  version: 1;
  /** The AWS Organization: its id and member accounts (with names, for alerts). */
  organization?: { id?: string; accounts?: OrgAccountEntry[] };
  /** Where alerts go besides the central channels: a team's own Slack channel for its accounts or OUs. */
  routing?: { teams?: TeamEntry[] };
  /** Accounts outside the organization that are trusted as much as members (a parent company…). */
  trustedAccounts?: AccountEntry[];
  /** Accounts whose changes matter less (preview, sandbox): their findings route one step lower. */
  nonProductionAccounts?: AccountEntry[];
  /** Pipelines and IaC roles that make changes all day: their changes are routine from their networks. */
  deployers?: ActorEntry[];
  /** Read-only scanners (CSPM, inventory): their API-rate and error-rate findings are recorded only. */
  scanners?: ActorEntry[];
  /** SaaS vendors: cross-account trust to `account` (with `externalId` when given) is expected. */
  vendors?: VendorEntry[];
  /** Known noise, each with a reason, an owner and an expiry. Suppressed findings are recorded, never dropped. */
  suppressions?: Suppression[];
  /** Change a detection's severity (optionally only for some principals / accounts). */
  severityOverrides?: SeverityOverride[];
  /** Detections turned off: their findings are recorded only (still on the findings bus). */
  detections?: Record<string, { enabled: boolean; reason?: string }>;
  /**
   * The regions the organization works in (`unused-region-activity`): a write anywhere else is
   * reported. Absent: that detection is inactive (docs/tuning.md#approved-regions).
   */
  approvedRegions?: ApprovedRegions;
}

/**
 * Approved regions: organization-wide, and per account. An account listed under `accounts` uses
 * exactly its own list (it replaces `regions` for that account); every other account uses `regions`.
 * An account with no list that applies is not judged.
 */
export interface ApprovedRegions {
  /** Organization-wide approved regions, e.g. `[us-east-1, eu-west-1]`. */
  regions?: string[];
  /** Accounts with a list of their own (a sandbox limited to one region, a team in another continent). */
  accounts?: ApprovedRegionsAccount[];
}

export interface ApprovedRegionsAccount extends AccountEntry {
  regions: string[];
}

export interface AccountEntry {
  id: string;
  name?: string;
}

/** A member account: its name (shown in alerts) and, for team routing, its OU path (`Workloads/Prod`). */
export interface OrgAccountEntry extends AccountEntry {
  ou?: string;
}

/**
 * A team and the accounts it owns (by id, or by OU: an OU id, the root, or a path of names that
 * covers the OUs below it). Its alerts go to its own Slack channel (webhook URL in SSM).
 */
export interface TeamEntry {
  name: string;
  accounts?: string[];
  ous?: string[];
  slackWebhookParameter: string;
}

export interface ActorEntry {
  name: string;
  /** Principal ARN patterns (`*` and `?` wildcards). A role session matches through its role ARN too. */
  principals: string[];
  /** Where it runs (CIDRs). When given, the same principal from elsewhere is novel, not routine. */
  networks?: string[];
}

export interface VendorEntry {
  name: string;
  account: string;
  externalId?: string;
}

/** What a suppression or an override applies to: every given field must match. */
export interface FindingSelector {
  /** Detection id (or `*`). */
  detection: string;
  /** Principal ARN pattern (role sessions match through their role ARN too). */
  principal?: string;
  account?: string;
  eventName?: string;
  /** A substring of the finding title (for one resource name, say). */
  titleContains?: string;
}

export interface Suppression extends FindingSelector {
  id: string;
  reason: string;
  owner: string;
  /** ISO date (`2026-12-31`) or date-time; after it the suppression no longer applies and alerts that it expired. */
  expires: string;
}

export interface SeverityOverride extends FindingSelector {
  severity: Severity;
  reason?: string;
}
