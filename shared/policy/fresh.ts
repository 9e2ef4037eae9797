/**
 * Fresh values: chosen AFTER reading the policies, so that no constant, pattern fragment or ARN in
 * them can name them. A fixed probe value ("trailwatch-probe", account 111122223333) can be
 * collided with by a policy, by accident or on purpose; a value that is not a substring of any
 * policy text cannot equal any of its constants and can match one of its patterns only through a
 * wildcard. The witness search uses these as "some other principal / account / value".
 */
import { cidrContains } from './ip.ts';
import type { ParsedCidr } from './ip.ts';
import type { Policy } from './types.ts';

/** The stem of every token (`twfresh1`…); a text without it contains none of them. */
const TOKEN_STEM = 'twfresh';

export class FreshValues {
  private readonly policies: readonly Policy[];
  private readonly extra: readonly string[];
  /** The lower-cased texts, built on the first question (an analysis that draws no value never needs them). */
  private joined: string | undefined;
  /** Roles whose tokens are drawn, in this order, before any other token (see {@link reserve}). */
  private readonly pending: string[] = [];
  private readonly used = new Set<string>();
  private readonly tokens = new Map<string, string>();
  /** Whether the texts contain a candidate (lower-cased), asked once per candidate: the texts never change. */
  private readonly inText = new Map<string, boolean>();

  /** `extra` are further texts the values must avoid (owner account, zone of trust). */
  constructor(policies: readonly Policy[], extra: readonly string[] = []) {
    this.policies = policies;
    this.extra = extra;
  }

  private get text(): string {
    this.joined ??= [...this.policies.map((p) => JSON.stringify(p.statements)), ...this.extra].join('\n').toLowerCase();
    return this.joined;
  }

  /**
   * Fixes the place of `role` in the order tokens are drawn, without drawing it: the first token
   * asked for afterwards draws the reserved roles first, in order, so every token is the one an
   * immediate draw would have given. Lets a caller that may never need the token skip the work.
   */
  reserve(role: string): void {
    if (!this.tokens.has(role) && !this.pending.includes(role)) this.pending.push(role);
  }

  /** Whether the texts contain `twfresh` at all: when not, no token candidate needs a scan of its own. */
  private tokenStem: boolean | undefined;

  private free(value: string): boolean {
    if (this.used.has(value)) return false;
    const lower = value.toLowerCase();
    if (lower.startsWith(TOKEN_STEM) && !(this.tokenStem ??= this.text.includes(TOKEN_STEM))) return true;
    let found = this.inText.get(lower);
    if (found === undefined) this.inText.set(lower, (found = this.text.includes(lower)));
    return !found;
  }

  /**
   * A name-like token (`twfresh1`, `twfresh2`…) found in no policy text. The same `role` always
   * gets the same token, so witnesses stay stable; different roles get different tokens.
   */
  token(role = 'name'): string {
    const known = this.tokens.get(role);
    if (known) return known;
    while (this.pending.length > 0) this.draw(this.pending.shift() as string);
    return this.tokens.get(role) ?? this.draw(role);
  }

  private draw(role: string): string {
    const known = this.tokens.get(role);
    if (known) return known;
    for (let n = 1; ; n++) {
      const candidate = `${TOKEN_STEM}${n}`;
      if (this.free(candidate)) {
        this.used.add(candidate);
        this.tokens.set(role, candidate);
        return candidate;
      }
    }
  }

  /** A 12-digit account id that appears in no policy text and is none of `exclude`. */
  account(role: string, exclude: Iterable<string> = []): string {
    const key = `account:${role}`;
    const known = this.tokens.get(key);
    if (known) return known;
    const excluded = new Set(exclude);
    for (let n = 1; ; n++) {
      // Spread over the id space so unrelated policies rarely need more than one try.
      const candidate = String(300_000_000_000 + n * 7_919_113).padStart(12, '0');
      if (this.free(candidate) && !excluded.has(candidate)) {
        this.used.add(candidate);
        this.tokens.set(key, candidate);
        return candidate;
      }
    }
  }

  /** An organization id (`o-…`) that appears in no policy text. */
  org(role = 'org'): string {
    return `o-${this.token(`org:${role}`)}`;
  }

  /** A public IPv4 address outside every given CIDR and not written in any policy. */
  ipv4(cidrs: readonly ParsedCidr[]): string | undefined {
    const v4 = cidrs.filter((c) => c.family === 4);
    for (let a = 0; a < 4096; a++) {
      const candidate = `${45 + (a % 150)}.${(a * 37) % 256}.${(a * 91) % 256}.${1 + (a % 250)}`;
      if (!this.free(candidate)) continue;
      if (!v4.some((c) => cidrContains(c, candidate))) return candidate;
    }
    return undefined;
  }

  /** A global IPv6 address outside every given CIDR. */
  ipv6(cidrs: readonly ParsedCidr[]): string | undefined {
    const v6 = cidrs.filter((c) => c.family === 6);
    for (let a = 1; a < 4096; a++) {
      const candidate = `2a0${a % 10}:${(a * 131).toString(16)}::${a.toString(16)}`;
      if (!this.free(candidate)) continue;
      if (!v6.some((c) => cidrContains(c, candidate))) return candidate;
    }
    return undefined;
  }
}
