import type { DetectionReferences, Finding, Severity, TrailEvent } from '../model/types.ts';
import type { ApprovedRegions } from '../tuning/types.ts';

/** Which CloudTrail events a detection looks at; also used to generate its EventBridge rule. */
export interface EventMatch {
  /** `eventSource` values, e.g. `iam.amazonaws.com`. */
  eventSource: string[];
  /** `eventName` values. */
  eventName: string[];
}

/**
 * Facts about the deployment that some detections need, passed in (never read from the
 * environment inside a detection) so `detect` stays a pure function.
 */
export interface DetectionContext {
  /** This stack's own resources, so the monitor notices when someone disables it. */
  self?: {
    /** Prefix of our Lambda function names, e.g. `trailwatch-prod-`. */
    functionNamePrefix?: string;
    /** Prefix of our EventBridge rule names. */
    ruleNamePrefix?: string;
    /** ARNs of our SNS topics. */
    topicArns?: string[];
    /** Prefix of our stack / resource names in general (e.g. `trailwatch-prod`). */
    stackName?: string;
  };
  /**
   * The caller's own organization as far as Trailwatch knows it: replay learns the accounts whose
   * trails it reads (`recipientAccountId`); a deployment may declare them. Grants to these accounts
   * are not "foreign".
   */
  organization?: { accounts: AccountSet };
  /**
   * Set while a stateful processor judges MFA replacement (shared/mfa): a user's MFA removal is
   * then reported low at once and pages only if no new device follows within `windowMinutes`.
   * Absent (e.g. a handler without that processor): the removal is high at once, as always.
   */
  mfaReplacement?: { windowMinutes: number };
  /**
   * The tuning file's `approvedRegions` (plain data, so it crosses to replay's worker threads):
   * `unused-region-activity` judges writes outside them. Absent: that detection is inactive.
   */
  approvedRegions?: ApprovedRegions;
}

/** A read-only set of 12-digit account ids. */
export interface AccountSet {
  has(account: string): boolean;
}

export interface DetectionMeta {
  /** Stable id; never renamed (alerts, metrics and suppressions key on it). */
  id: string;
  title: string;
  /** Default severity; `detect` may raise or lower it per event. */
  severity: Severity;
  description: string;
  /** What it matches, as (eventSource, eventName) sets: the generated EventBridge rules deliver these pairs to it (shared/pipeline/event-rules.ts). */
  matches: EventMatch[];
  references: DetectionReferences;
  /** What to do now, in a line or two. */
  runbook: string;
  /** What routine looks like for this detection, so the noise model can tell routine from novel. */
  routine?: RoutineProfile;
  /**
   * Set when the detection reports nothing until the tuning file says something (e.g.
   * `approvedRegions`): the key and why. `trailwatch coverage` and docs/detections.md show it.
   */
  needsTuning?: { key: 'approvedRegions'; why: string };
}

/**
 * Who normally makes the changes a detection reports and what makes a repeat routine. The novelty
 * model remembers, per principal and change kind, the networks, user agents and regions it has seen.
 */
export interface RoutineProfile {
  /** One or two lines: who does this in a normal organization (e.g. "IaC deploy roles in pipelines"). */
  description: string;
  /**
   * False when every event of this detection is dangerous in itself (e.g. root sign-in): no history
   * makes it routine. Default true. Per-finding exceptions use `Finding.inherentRisk`.
   */
  learnable?: boolean;
}

export interface Detection extends DetectionMeta {
  /** Pure: same event and context in, same findings out. Never calls AWS, never throws on odd input. */
  detect(event: TrailEvent, context?: DetectionContext): Finding[];
}

export type { Finding, Severity, TrailEvent };
