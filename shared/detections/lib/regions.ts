import type { ApprovedRegions } from '../../tuning/types.ts';

import { LINKABLE_REGION, REGION_NAME } from '../../model/region-name.ts';

export { REGION_NAME };

/** Why `value` is not a region name, with what the file should say instead; undefined when it is one. */
export function regionNameProblem(value: string): string | undefined {
  if (REGION_NAME.test(value)) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower !== value && REGION_NAME.test(lower)) return `not a region name: ${JSON.stringify(value)} (region names are lower case: write ${lower})`;
  // Not a region name here, so a linkable one is a region name and one letter: an Availability Zone.
  if (LINKABLE_REGION.test(lower)) return `not a region name: ${JSON.stringify(value)} is an Availability Zone; write its region, ${lower.slice(0, -1)}`;
  return `not a region name: ${JSON.stringify(value)} (write a region code such as eu-west-1 or us-east-1)`;
}

/** The list that applies to one account, and whose list it is (for the finding's title). */
export interface AppliedRegions {
  regions: ReadonlySet<string>;
  /** "the organization" or "account 111122223333". */
  scope: string;
}

interface Compiled {
  organization?: AppliedRegions;
  accounts: Map<string, AppliedRegions>;
}

const compiled = new WeakMap<ApprovedRegions, Compiled>();

function compile(config: ApprovedRegions): Compiled {
  const known = compiled.get(config);
  if (known) return known;
  const c: Compiled = { accounts: new Map() };
  if (config.regions) c.organization = { regions: new Set(config.regions), scope: 'the organization' };
  for (const a of config.accounts ?? []) c.accounts.set(a.id, { regions: new Set(a.regions), scope: `account ${a.name ?? a.id}` });
  compiled.set(config, c);
  return c;
}

/**
 * The approved regions for `account`: its own list when `approvedRegions.accounts` names it (that
 * list replaces the organization-wide one), else the organization-wide `regions`, else none (the
 * account is not judged).
 */
export function approvedRegionsFor(config: ApprovedRegions | undefined, account: string): AppliedRegions | undefined {
  if (!config) return undefined;
  const c = compile(config);
  return c.accounts.get(account) ?? c.organization;
}
