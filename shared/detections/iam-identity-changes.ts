import { fixed, judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const userName = (e: TrailEvent) => str(e.requestParameters?.['userName']);
const groupName = (e: TrailEvent) => str(e.requestParameters?.['groupName']);

/** True when a login-profile call targets the caller itself (no userName means "the calling user"). */
function forSelf(e: TrailEvent): boolean {
  const target = userName(e);
  return target === undefined || target === e.principal.userName || target === e.principal.name;
}

/**
 * Console password set or changed for oneself. Another user's password is credentials-for-other-user's
 * finding, so together every user is covered and no event is reported twice.
 */
const ownPassword =
  (created: boolean): Judge =>
  (e) => {
    if (!forSelf(e)) return undefined;
    return created
      ? { severity: 'medium', effect: 'console password created for the caller itself (API keys turned into console access)', resource: userName(e) ?? e.principal.name }
      : { severity: 'low', effect: 'own console password changed through the login-profile API', resource: userName(e) ?? e.principal.name };
  };

/** CIS 1.8 / 1.9 (v3.0): minimum length 14, reuse prevention 24. Below either is a weakened policy. */
const CIS_MIN_LENGTH = 14;
const CIS_REUSE_PREVENTION = 24;

const passwordPolicy: Judge = (e) => {
  const rp = e.requestParameters ?? {};
  const length = typeof rp['minimumPasswordLength'] === 'number' ? rp['minimumPasswordLength'] : undefined;
  const reuse = typeof rp['passwordReusePrevention'] === 'number' ? rp['passwordReusePrevention'] : undefined;
  const weak: string[] = [];
  // IAM's default when the field is omitted is 8 characters and no reuse prevention.
  if ((length ?? 8) < CIS_MIN_LENGTH) weak.push(`minimum length ${length ?? 'default 8'} < ${CIS_MIN_LENGTH}`);
  if ((reuse ?? 0) < CIS_REUSE_PREVENTION) weak.push(`reuse prevention ${reuse ?? 'off'} < ${CIS_REUSE_PREVENTION}`);
  if (weak.length === 0) return undefined;
  return { severity: 'medium', effect: `account password policy set below CIS (${weak.join(', ')})`, details: { weaknesses: weak } };
};

const JUDGES: JudgeTable = {
  'iam.amazonaws.com': {
    CreateUser: fixed('low', 'IAM user created', userName),
    CreateGroup: fixed('low', 'IAM group created', groupName),
    DeleteGroup: fixed('low', 'IAM group deleted', groupName),
    CreateLoginProfile: ownPassword(true),
    UpdateLoginProfile: ownPassword(false),
    ChangePassword: fixed('low', 'own console password changed'),
    DeleteAccountPasswordPolicy: fixed('high', 'account password policy deleted (IAM falls back to its weak default)', undefined, 'password policy removed: any password is accepted'),
    UpdateAccountPasswordPolicy: passwordPolicy,
  },
};

export const meta: DetectionMeta = {
  id: 'iam-identity-changes',
  title: 'IAM identities, console passwords or the password policy changed',
  severity: 'low',
  description:
    'IAM users and groups created or deleted; a console password (login profile) created or changed by a user for itself (for another user see credentials-for-other-user) and ChangePassword; the account password policy deleted (high) or set below the CIS minimums (length 14, reuse prevention 24: medium). A policy that meets CIS is not reported. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: ['CIS 1.8 (v3.0): password policy minimum length 14', 'CIS 1.9 (v3.0): password policy prevents reuse'],
    securityHub: ['IAM.7', 'IAM.15', 'IAM.16'],
    mitre: ['T1136.003', 'T1098', 'T1098.001', 'T1201'],
    stratus: ['aws.persistence.iam-create-admin-user'],
  },
  runbook:
    'Confirm the change with its owner or the pipeline that made it. For an unexpected user or console password: disable the login profile / delete the user and review what the caller did next; restore a deleted or weakened password policy at once.',
  routine: {
    description: 'Identity admins and IaC deploy roles create users and groups; users change their own passwords. A console password created by a user for itself from API keys is rare.',
    learnable: true,
  },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
