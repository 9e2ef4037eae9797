import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { path, str, strings } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const samlArn = (e: TrailEvent) => str(e.requestParameters?.['sAMLProviderArn']) ?? str(e.requestParameters?.['name']) ?? str(e.responseElements?.['sAMLProviderArn']);
const oidc = (e: TrailEvent) => str(e.requestParameters?.['openIDConnectProviderArn']) ?? str(e.requestParameters?.['url']);
const anchor = (e: TrailEvent) => str(e.requestParameters?.['name']) ?? str(e.requestParameters?.['trustAnchorId']) ?? str(path(e.responseElements, 'trustAnchor', 'trustAnchorArn'));
const profile = (e: TrailEvent) => str(e.requestParameters?.['name']) ?? str(e.requestParameters?.['profileId']);

const TRUST = 'a new external identity source can mint sessions for roles that trust it';

const JUDGES: JudgeTable = {
  'iam.amazonaws.com': {
    CreateSAMLProvider: fixed('high', 'SAML identity provider created', samlArn, TRUST),
    UpdateSAMLProvider: fixed('high', 'SAML identity provider metadata replaced', samlArn, TRUST),
    DeleteSAMLProvider: fixed('medium', 'SAML identity provider deleted', samlArn),
    CreateOpenIDConnectProvider: fixed('high', 'OIDC identity provider created', oidc, TRUST),
    UpdateOpenIDConnectProviderThumbprint: fixed('high', 'OIDC identity provider thumbprint replaced', oidc, TRUST),
    AddClientIDToOpenIDConnectProvider: fixed('medium', 'client id added to an OIDC identity provider', oidc),
    DeleteOpenIDConnectProvider: fixed('medium', 'OIDC identity provider deleted', oidc),
  },
  'rolesanywhere.amazonaws.com': {
    CreateTrustAnchor: fixed('high', 'IAM Roles Anywhere trust anchor created (a certificate authority can now obtain role credentials)', anchor, TRUST),
    UpdateTrustAnchor: fixed('high', 'IAM Roles Anywhere trust anchor changed', anchor, TRUST),
    CreateProfile: (e) => ({
      severity: 'medium',
      effect: `IAM Roles Anywhere profile created for ${strings(e.requestParameters?.['roleArns']).join(', ') || 'no roles'}`,
      ...(profile(e) ? { resource: profile(e) } : {}),
      details: { roleArns: strings(e.requestParameters?.['roleArns']) },
    }),
    UpdateProfile: fixed('medium', 'IAM Roles Anywhere profile changed', profile),
  },
};

export const meta: DetectionMeta = {
  id: 'identity-provider-changes',
  title: 'External identity trust changed (SAML/OIDC provider, IAM Roles Anywhere)',
  severity: 'high',
  description:
    'A SAML or OIDC identity provider was created, updated or deleted, or an IAM Roles Anywhere trust anchor or profile was created or changed. A new or replaced provider/trust anchor is a persistence path that survives key rotation (high); deletions and profiles are medium. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1484.002', 'T1098', 'T1556.007'],
    stratus: ['aws.persistence.rolesanywhere-create-trust-anchor'],
  },
  runbook:
    'Confirm the provider or trust anchor with the identity team. If unknown: delete it (and its Roles Anywhere profiles), list the roles whose trust policy names it, and review sessions issued through it.',
  routine: { description: 'Identity platform teams, rarely, through IaC; a change outside that pipeline is novel.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
