import { str } from '../detections/lib/values.ts';
import type { TrailEvent } from '../model/types.ts';
import { principalIdentity } from '../rates/keys.ts';
import type { BaselineId } from './behaviours.ts';
import { locationOf } from './location.ts';

/** What one event tells one baseline: the profile it belongs to and the values it shows. */
export interface Observation {
  behaviour: BaselineId;
  /** Profile key (the store key is `<behaviour>|<key>`). */
  key: string;
  values: string[];
  /** Facts for the finding (role, assumer, cross-account, country…). */
  facts: Record<string, unknown>;
  event: TrailEvent;
}

/** Observations of one event, and the reasons an event that looked relevant could not be judged (counted). */
export interface Extracted {
  observations: readonly Observation[];
  skips: readonly string[];
}

const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/(?:[\x21-\x7e]+\/)?([\w+=,.@-]{1,64})$/;
const ACCOUNT_IN_ARN = /^arn:aws(?:-[a-z]+)*:(?:iam|sts)::(\d{12}):/;
/**
 * Role names that give the keys to an account: administrators, power users, the organization's and
 * Control Tower's access roles, Identity Center admin permission sets, break-glass roles.
 */
const PRIVILEGED_ROLE = /admin|poweruser|power-user|OrganizationAccountAccessRole|AWSControlTowerExecution|break-?glass|emergency|^root$|fullaccess/i;

/** Services whose first use by a principal is sensitive (identity, keys, secrets, logging, security tooling). */
const SENSITIVE_SOURCES = new Set([
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'kms.amazonaws.com',
  'secretsmanager.amazonaws.com',
  'ssm.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'logs.amazonaws.com',
  'organizations.amazonaws.com',
  'guardduty.amazonaws.com',
  'securityhub.amazonaws.com',
  'config.amazonaws.com',
  'access-analyzer.amazonaws.com',
  'sso.amazonaws.com',
  'identitystore.amazonaws.com',
  'account.amazonaws.com',
]);

/** Read-only calls that return secrets or credentials, or map the whole account: counted like writes. */
export const SENSITIVE_READS = new Set([
  'secretsmanager.amazonaws.com:GetSecretValue',
  'secretsmanager.amazonaws.com:BatchGetSecretValue',
  'ssm.amazonaws.com:GetParameter',
  'ssm.amazonaws.com:GetParameters',
  'ssm.amazonaws.com:GetParametersByPath',
  'kms.amazonaws.com:Decrypt',
  'ec2.amazonaws.com:GetPasswordData',
  'iam.amazonaws.com:GetAccountAuthorizationDetails',
  'iam.amazonaws.com:GetCredentialReport',
  'sts.amazonaws.com:GetSessionToken',
  'sts.amazonaws.com:GetFederationToken',
  'lambda.amazonaws.com:GetFunction20150331v2',
]);

/** `SENSITIVE_READS` by eventSource, then eventName. */
const SENSITIVE_READ_NAMES = new Map<string, Set<string>>();
for (const api of SENSITIVE_READS) {
  const at = api.indexOf(':');
  const source = api.slice(0, at);
  const names = SENSITIVE_READ_NAMES.get(source) ?? new Set<string>();
  names.add(api.slice(at + 1));
  SENSITIVE_READ_NAMES.set(source, names);
}

/** No observation and nothing skipped: most events (shared, never mutated by callers). */
const NONE: Extracted = Object.freeze({ observations: Object.freeze([]), skips: Object.freeze([]) });

const ASSUME = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']);
/** Principals whose own API calls the new-API baseline learns (roots: root-activity; services: AWS itself). */
const API_PRINCIPALS = new Set(['IAMUser', 'AssumedRole', 'FederatedUser']);
const READ_NAME = /^(Get|List|Describe|Head|Lookup|BatchGet|Check|Search|Scan|Query|Select|View|Preview|Estimate|Validate|Test|Simulate)/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text from the event as a store key or value: lone surrogates (not valid UTF-8, which DynamoDB
 * refuses) become U+FFFD; over `maxLength` the text is refused (undefined).
 */
export function cleanText(text: string, maxLength: number): string | undefined {
  if (text.length > maxLength) return undefined;
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

function accountOfArn(arn: string | undefined): string | undefined {
  return arn ? ACCOUNT_IN_ARN.exec(arn)?.[1] : undefined;
}

/** Who assumed the role, normalised so every session of the same caller is one assumer. */
function assumerOf(e: TrailEvent): { assumer: string; type: string; account?: string } | undefined {
  const p = e.principal;
  const rp = e.requestParameters ?? {};
  if (e.name === 'AssumeRoleWithSAML') {
    const provider = str(rp['principalArn']) ?? p.identityProvider;
    if (!provider) return undefined;
    const account = accountOfArn(provider);
    return { assumer: `saml:${provider}`, type: 'SAML provider', ...(account ? { account } : {}) };
  }
  if (e.name === 'AssumeRoleWithWebIdentity') {
    const provider = p.identityProvider ?? str(rp['providerId']);
    return provider ? { assumer: `oidc:${provider}`, type: 'OIDC provider' } : undefined;
  }
  if (p.type === 'AWSService') {
    // `principal.invokedBy` is `userIdentity.invokedBy` whenever the record has one (normalize.ts):
    // the record itself is not read again (replay's held events no longer carry it).
    const service = p.invokedBy ?? (p.name !== '' ? p.name : undefined);
    return service ? { assumer: `service:${service}`, type: 'AWS service' } : undefined;
  }
  if (p.type === 'AWSAccount') {
    // Cross-account: the role's account sees only the caller's account and principal id (AIDA…: a
    // user; AROA…:session: a role), stable across sessions.
    if (!p.accountId || !/^\d{12}$/.test(p.accountId)) return undefined;
    const id = p.principalId?.split(':')[0];
    return { assumer: `account:${p.accountId}${id && id !== p.accountId ? `/${id}` : ''}`, type: 'another account', account: p.accountId };
  }
  if (p.type === 'Root') {
    const account = p.accountId ?? e.account;
    return { assumer: `arn:aws:iam::${account}:root`, type: 'root', account };
  }
  const identity = principalIdentity(e);
  if (!identity || identity.endsWith(':')) return undefined;
  const account = accountOfArn(identity) ?? p.accountId;
  return { assumer: identity, type: p.sessionIssuer?.arn ? 'role (session)' : p.type, ...(account ? { account } : {}) };
}

function roleAssumption(e: TrailEvent, maxLength: number): Extracted {
  const raw = str(e.requestParameters?.['roleArn']);
  if (!raw) return { observations: [], skips: ['AssumeRole without a roleArn'] };
  const m = ROLE_ARN.exec(raw);
  if (!m) return { observations: [], skips: ['AssumeRole with a malformed roleArn'] };
  const who = assumerOf(e);
  if (!who) return { observations: [], skips: ['AssumeRole by an assumer that cannot be named'] };
  const roleArn = cleanText(raw, maxLength);
  const assumer = cleanText(who.assumer, maxLength);
  if (!roleArn || !assumer) return { observations: [], skips: ['AssumeRole with a key or assumer too long to keep'] };
  const roleAccount = m[1] as string;
  const roleName = m[2] as string;
  const crossAccount = who.account !== undefined && who.account !== roleAccount;
  return {
    observations: [
      {
        behaviour: 'unusual-role-assumption',
        key: roleArn,
        values: [assumer],
        facts: { roleArn, roleName, roleAccount, assumer, assumerType: who.type, ...(who.account ? { assumerAccount: who.account } : {}), crossAccount, privilegedRole: PRIVILEGED_ROLE.test(roleName) },
        event: e,
      },
    ],
    skips: [],
  };
}

function apiCall(e: TrailEvent, maxLength: number): Extracted {
  if (e.eventType !== 'AwsApiCall' || e.errorCode || !API_PRINCIPALS.has(e.principal.type)) return NONE;
  // AWS acting for the principal (CloudFormation, the console's helpers): the principal did not choose the API.
  if (e.principal.invokedBy) return NONE;
  if (e.source === 'signin.amazonaws.com' || (e.source === 'sts.amazonaws.com' && ASSUME.has(e.name))) return NONE;
  const readOnly = e.readOnly ?? READ_NAME.test(e.name);
  // Most calls are plain reads: decided without building the `source:name` string.
  if (readOnly && SENSITIVE_READ_NAMES.get(e.source)?.has(e.name) !== true) return NONE;
  const key = cleanText(principalIdentity(e), maxLength);
  const api = apiValue(e.source, e.name, maxLength);
  if (!key || !api) return { observations: [], skips: ['API call with a principal or API name too long to keep'] };
  const { value, sensitive } = api;
  return { observations: [{ behaviour: 'new-api-for-principal', key, values: [value], facts: { principalKey: key, api: value, sensitive, readOnly }, event: e }], skips: [] };
}

/** The new-API baseline's value for one API and whether the API is sensitive. */
interface ApiValue {
  value: string;
  sensitive: boolean;
}

/** Distinct APIs `apiValue` remembers (AWS has about 15,000); past that it starts again (the names come from untrusted records). */
const MAX_APIS = 20_000;
/** `apiValue`'s answers by eventSource, then eventName (null: too long to keep), for `apiValuesMaxLength`. */
const API_VALUES = new Map<string, Map<string, ApiValue | null>>();
let apiValuesMaxLength = Number.NaN;
let apiValuesHeld = 0;

/**
 * `source:name` cleaned (`cleanText`) and whether it is sensitive, remembered per API: a busy
 * principal calls the same few APIs, and normalisation interns eventSource and eventName, so two
 * map look-ups replace building the string, scanning it and hashing it for the two sets. Same
 * answers as computing them (undefined: too long to keep).
 */
function apiValue(source: string, name: string, maxLength: number): ApiValue | undefined {
  if (maxLength !== apiValuesMaxLength) {
    API_VALUES.clear();
    apiValuesHeld = 0;
    apiValuesMaxLength = maxLength;
  }
  let byName = API_VALUES.get(source);
  let known = byName?.get(name);
  if (known === undefined) {
    if (apiValuesHeld >= MAX_APIS) {
      API_VALUES.clear();
      apiValuesHeld = 0;
      byName = undefined;
    }
    if (byName === undefined) {
      byName = new Map();
      API_VALUES.set(source, byName);
    }
    const api = `${source}:${name}`;
    const value = cleanText(api, maxLength);
    known = value === undefined ? null : { value, sensitive: SENSITIVE_SOURCES.has(source) || SENSITIVE_READS.has(api) };
    byName.set(name, known);
    apiValuesHeld += 1;
  }
  return known ?? undefined;
}

/** The person a console sign-in is for: an IAM user, root, or the role session (its name is the person for SAML / Identity Center). */
function personOf(e: TrailEvent): string | undefined {
  const p = e.principal;
  if (p.type === 'Root') return `root:${p.accountId ?? e.account}`;
  if (p.arn) return p.arn;
  if (p.type === 'IAMUser' && p.userName) return `iam-user:${e.account}/${p.userName}`;
  return p.principalId ? `${p.type}:${p.principalId}` : undefined;
}

function signIn(e: TrailEvent, maxLength: number): Extracted {
  if (e.responseElements?.['ConsoleLogin'] !== 'Success' || e.errorCode) return NONE;
  const rawPerson = personOf(e);
  if (!rawPerson) return { observations: [], skips: ['console sign-in with no user to name'] };
  const location = locationOf(e.sourceIp);
  if (location === 'missing') return { observations: [], skips: ['console sign-in without sourceIPAddress'] };
  if (typeof location === 'string') return { observations: [], skips: [`console sign-in from ${location === 'private address' ? 'a private address' : 'no IP address (AWS Internal or a service)'}`] };
  const person = cleanText(rawPerson, maxLength);
  if (!person) return { observations: [], skips: ['console sign-in with a user name too long to keep'] };
  const values = [`n:${location.network}`, ...(location.country ? [`c:${location.country}`] : [])];
  return { observations: [{ behaviour: 'signin-from-new-location', key: person, values, facts: { person, network: location.network, ...(location.country ? { country: location.country } : {}) }, event: e }], skips: [] };
}

/** Every baseline observation of one event. Never throws. */
export function observationsOf(e: TrailEvent, maxLength: number): Extracted {
  if (e.source === 'sts.amazonaws.com' && ASSUME.has(e.name)) return e.errorCode ? NONE : roleAssumption(e, maxLength);
  if (e.source === 'signin.amazonaws.com' && e.name === 'ConsoleLogin') return signIn(e, maxLength);
  return apiCall(e, maxLength);
}
