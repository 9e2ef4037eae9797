import type { TrailEvent } from '../../model/types.ts';

/** "alice" / "OpsAdmin/bob@example.com" / "root": who did it, as short as a title allows. */
export function who(event: TrailEvent): string {
  const p = event.principal;
  if (p.type === 'AssumedRole' && p.sessionIssuer?.userName) return `${p.sessionIssuer.userName}/${p.name}`;
  return p.name;
}

/** "in 111122223333 (us-east-1)". */
export function where(event: TrailEvent): string {
  return `in ${event.account} (${event.region})`;
}

/** True when the call failed (CloudTrail `errorCode` set): the change did not happen. */
export function failed(event: TrailEvent): boolean {
  return event.errorCode !== undefined;
}

/**
 * True when a person is behind the call: an IAM user or root, a console session, or an IAM Identity
 * Center (AWSReservedSSO_*) or SAML-federated session. False for role sessions that
 * automation (CI/CD, IaC, services) opens with the API. A zero-config judgement for detections whose
 * events pipelines make all day; stolen automation credentials are other detections' business.
 */
export function humanSession(event: TrailEvent): boolean {
  const p = event.principal;
  if (p.type === 'IAMUser' || p.type === 'Root' || p.type === 'FederatedUser' || p.type === 'IdentityCenterUser' || p.type === 'SAMLUser') return true;
  if (p.sessionCredentialFromConsole === true) return true;
  const issuer = p.sessionIssuer?.arn ?? p.arn ?? '';
  // SAML federation is people signing in; web-identity (OIDC) federation is mostly CI (GitHub Actions, EKS pods).
  return /AWSReservedSSO_/.test(issuer) || /saml-provider\//.test(p.identityProvider ?? '');
}
