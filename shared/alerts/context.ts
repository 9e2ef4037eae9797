/**
 * What a renderer may know besides the finding: names for account ids. Kept as a tiny interface so
 * any source can feed it — today a map in the notifier configuration (`TRAILWATCH_ACCOUNT_NAMES`),
 * later the tuning file or AWS Organizations — without the renderers knowing where names come from.
 */
export interface AccountDirectory {
  /** A human name for a 12-digit account id (alias or configured name), or undefined. */
  nameOf(accountId: string): string | undefined;
}

export interface RenderContext {
  accounts?: AccountDirectory;
}

/** Thrown when an account-name map in the configuration cannot be read. */
export class AccountNamesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountNamesError';
  }
}

/** A directory over a fixed map (account id → name). Ids that are not 12 digits are ignored. */
export function accountDirectory(names: Readonly<Record<string, string>>): AccountDirectory {
  const map = new Map<string, string>();
  for (const [id, name] of Object.entries(names)) {
    if (/^\d{12}$/.test(id) && typeof name === 'string' && name.trim()) map.set(id, name.trim());
  }
  return { nameOf: (id) => map.get(id) };
}

/**
 * Parses `111122223333=prod,444455556666=staging` (or a JSON object of the same) into a map. Throws
 * AccountNamesError naming the bad entry, so the notifier can report it at cold start.
 */
export function parseAccountNames(text: string | undefined): Record<string, string> {
  const raw = (text ?? '').trim();
  if (!raw) return {};
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new AccountNamesError('account names: not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AccountNamesError('account names: JSON must be an object of id -> name');
    const out: Record<string, string> = {};
    for (const [id, name] of Object.entries(parsed as Record<string, unknown>)) {
      if (!/^\d{12}$/.test(id) || typeof name !== 'string' || !name.trim()) throw new AccountNamesError(`account names: bad entry '${id}'`);
      out[id] = name.trim();
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [id, ...rest] = part.split('=');
    const name = rest.join('=').trim();
    if (!id || !/^\d{12}$/.test(id.trim()) || !name) throw new AccountNamesError(`account names: bad entry '${part}' (want 111122223333=name)`);
    out[id.trim()] = name;
  }
  return out;
}

/** The account's configured name, if any (raw: the caller escapes it for its channel). */
export function accountName(accountId: string, context: RenderContext | undefined): string | undefined {
  return /^\d{12}$/.test(accountId) ? context?.accounts?.nameOf(accountId) : undefined;
}
