import type { Severity } from '../../model/types.ts';
import { boundedMap, remember } from '../../memo.ts';

/**
 * User-agent fingerprints of offensive tools, secret scanners and penetration-testing distributions,
 * as they appear in CloudTrail `userAgent`. Each `pattern` is an EventBridge `wildcard` (`*` = any
 * run of characters, case-sensitive): the generated rule and `detect` use the very same strings, so
 * Lambda, replay and tests agree. List every spelling a tool really sends (e.g. "TruffleHog" and
 * "trufflehog/3.63.0").
 *
 * Maintenance: add a tool with the source of its fingerprint (its own code or a peer rule set); keep
 * patterns specific enough not to match ordinary SDK user agents (test/detections/breadth.test.ts,
 * "offensive-tool fingerprints", checks the list against common AWS SDK, CLI and console user agents).
 */
export interface OffensiveTool {
  tool: string;
  kind: 'secret-scanner' | 'offensive-framework' | 'pentest-distribution' | 'third-party-s3-client';
  patterns: string[];
  severity: Severity;
  /** Where the fingerprint comes from. */
  source: string;
}

export const OFFENSIVE_TOOLS: readonly OffensiveTool[] = [
  {
    tool: 'TruffleHog',
    kind: 'secret-scanner',
    patterns: ['*TruffleHog*', '*trufflehog*'],
    severity: 'high',
    source: 'trufflesecurity/trufflehog verifies AWS keys with sts:GetCallerIdentity under its own user agent; Panther AWS.STS.GetCallerIdentity.TruffleHog; Sigma "AWS STS GetCallerIdentity Enumeration Via TruffleHog"',
  },
  {
    tool: 'Pacu',
    kind: 'offensive-framework',
    patterns: ['*Pacu*', '*pacu*'],
    severity: 'high',
    source: 'RhinoSecurityLabs/pacu (AWS exploitation framework); matches when the user agent carries the tool name',
  },
  {
    tool: 'Endgame',
    kind: 'offensive-framework',
    patterns: ['*HotDogsAreSandwiches*'],
    severity: 'high',
    source: 'salesforce/endgame docs/ua-detection.md: default user agent "HotDogsAreSandwiches" (resource-exposure tool)',
  },
  {
    tool: 'Kali Linux',
    kind: 'pentest-distribution',
    patterns: ['*kali*', '*Kali*'],
    severity: 'medium',
    source: 'GuardDuty PenTest:IAMUser/KaliLinux; AWS SDKs put the kernel ("Linux/6.x-kali…-amd64") and distribution ("md/distrib#kali") in the user agent',
  },
  {
    tool: 'Parrot Security',
    kind: 'pentest-distribution',
    patterns: ['*parrot*', '*Parrot*'],
    severity: 'medium',
    source: 'GuardDuty PenTest:IAMUser/ParrotLinux',
  },
  {
    tool: 'Pentoo',
    kind: 'pentest-distribution',
    patterns: ['*pentoo*', '*Pentoo*'],
    severity: 'medium',
    source: 'GuardDuty PenTest:IAMUser/PentooLinux',
  },
  {
    tool: 'S3 Browser',
    kind: 'third-party-s3-client',
    patterns: ['S3 Browser*'],
    severity: 'medium',
    source: 'Elastic "AWS S3 API activity from an uncommon client"; S3 Browser sends "S3 Browser/<version> https://s3browser.com"; used by intrusion sets to bulk-download buckets',
  },
];

/** `*`-wildcard to a matcher, as EventBridge's `wildcard` operator reads it (case-sensitive, whole value). */
function wildcardMatcher(pattern: string): (value: string) => boolean {
  const parts = pattern.split('*');
  // `*literal*` (every fingerprint today) is a substring test: this runs on every event's user agent.
  if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
    const literal = parts[1] as string;
    return (value) => value.includes(literal);
  }
  const re = new RegExp(`^${parts.map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return (value) => re.test(value);
}

const COMPILED = OFFENSIVE_TOOLS.map((t) => ({ tool: t, matchers: t.patterns.map(wildcardMatcher) }));

function firstMatch(userAgent: string): OffensiveTool | undefined {
  for (const c of COMPILED) for (const m of c.matchers) if (m(userAgent)) return c.tool;
  return undefined;
}

const MAX_VERDICTS = 4096;

/**
 * Verdicts per distinct user agent: this runs on every event of a replay, and an archive holds few
 * distinct user agents (155 in Invictus' 2,900 records), so one map lookup replaces 14 substring
 * tests. Bounded: emptied when full, so memory does not grow with an archive of endless variants.
 */
const VERDICTS = boundedMap<string, OffensiveTool | null>(MAX_VERDICTS);

/** The first listed tool whose fingerprint matches this user agent, if any. */
export function offensiveToolFor(userAgent: string | undefined): OffensiveTool | undefined {
  if (!userAgent) return undefined;
  const known = VERDICTS.get(userAgent);
  if (known !== undefined) return known ?? undefined;
  const tool = firstMatch(userAgent);
  remember(VERDICTS, userAgent, tool ?? null);
  return tool;
}

/** Every pattern, for the EventBridge rule's `detail.userAgent` wildcard list. */
export function offensiveToolPatterns(): string[] {
  return [...new Set(OFFENSIVE_TOOLS.flatMap((t) => t.patterns))].sort();
}
