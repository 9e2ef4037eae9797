import type { Alert } from '../alerts/format.ts';
import type { OrganizationDirectory } from '../organization/directory.ts';
import type { TeamEntry } from '../tuning/types.ts';
import type { DeliveryBudget } from './webhook.ts';
import type { AlertChannel, SendOutcome } from './channels.ts';

/**
 * Per-account and per-OU routing (tuning file `routing.teams`). The decision, in one place:
 *
 * - A finding or digest about an account a team owns (listed in `accounts`, or in/below one of
 *   its `ous`) goes to that team's Slack channel — every alert the central channels would get
 *   (pages, digests), whatever its severity.
 * - It ALSO goes to the central channels when it pages (route `page`: high and critical unless
 *   tuning lowered it; without a route, critical): the security team sees every page from every
 *   account. Digests of team-owned accounts go only to the team.
 * - The daily summary (all accounts) goes only to the central channels.
 * - Accounts no team owns: central channels only, as without teams.
 *
 * An account in several teams' scope goes to each of them. Implemented as channel wrappers, so
 * de-duplication, per-channel retry records and the dead-letter queue work unchanged: each team
 * channel has its own name (`slack-team-<name>`), recorded like any other channel.
 */
export class TeamRouting {
  constructor(
    private readonly teams: readonly TeamEntry[],
    private readonly directory: () => OrganizationDirectory,
  ) {}

  /** The teams owning an account (by id, or by OU through the directory). */
  teamsOf(accountId: string | undefined): TeamEntry[] {
    if (!accountId) return [];
    const d = this.directory();
    return this.teams.filter((t) => t.accounts?.includes(accountId) || t.ous?.some((ou) => d.inOu(accountId, ou)));
  }

  /** Whether a team channel takes this alert. */
  forTeam(team: TeamEntry, alert: Alert): boolean {
    return this.teamsOf(alertAccount(alert)).some((t) => t.name === team.name);
  }

  /** Whether the central channels take this alert. */
  forCentral(alert: Alert): boolean {
    if (alert.kind === 'digest' && alert.digest.summary) return true;
    // An incident's follow-ups go where its page went: the central channels too.
    if (alert.kind === 'digest' && alert.digest.incident) return true;
    if (this.teamsOf(alertAccount(alert)).length === 0) return true;
    return alert.kind === 'finding' && pages(alert);
  }
}

/** The account an alert is about: the finding's, or a digest's (one detection and principal, so one account). */
export function alertAccount(alert: Alert): string | undefined {
  if (alert.kind === 'finding') return alert.finding.account;
  if (alert.digest.summary) return undefined;
  return alert.digest.samples[0]?.account;
}

function pages(alert: Alert & { kind: 'finding' }): boolean {
  const f = alert.finding;
  return f.route === 'page' || (f.route === undefined && f.severity === 'critical');
}

/** The channel name of a team's Slack channel. */
export function teamChannelName(team: Pick<TeamEntry, 'name'>): string {
  return `slack-team-${team.name}`;
}

/** A central channel that leaves team-owned, non-paging alerts to the teams. */
export class CentralChannel implements AlertChannel {
  constructor(
    private readonly inner: AlertChannel,
    private readonly routing: TeamRouting,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  async send(alert: Alert, budget?: DeliveryBudget): Promise<SendOutcome | void> {
    if (!this.routing.forCentral(alert)) return;
    return this.inner.send(alert, budget);
  }
}

/** A team's own channel: sends only the alerts about the team's accounts. */
export class TeamChannel implements AlertChannel {
  readonly name: string;
  constructor(
    private readonly team: TeamEntry,
    private readonly inner: AlertChannel,
    private readonly routing: TeamRouting,
  ) {
    this.name = teamChannelName(team);
  }

  async send(alert: Alert, budget?: DeliveryBudget): Promise<SendOutcome | void> {
    if (!this.routing.forTeam(this.team, alert)) return;
    return this.inner.send(alert, budget);
  }
}
