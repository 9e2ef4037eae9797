/**
 * Web-identity (OIDC) providers and the claims that say WHO a caller is. A trust policy for a
 * provider is pinned only when a claim that identifies the caller is restricted to a party the
 * policy names: for GitHub Actions that is `sub` (its `aud` is `sts.amazonaws.com` for every
 * workflow on GitHub, and a workflow may ask for any audience), for Cognito the identity pool
 * (`aud`), for an EKS cluster the service account (`sub`). Multi-tenant providers (anyone on the
 * internet can get a token) make an unpinned trust public; a single-tenant provider (one cluster,
 * one company's IdP) makes it open to every identity of that provider.
 */

/** A claim that identifies the caller: how to read the part a stranger cannot choose, and a stranger's value. */
export interface IdentityClaim {
  claim: string;
  /** The owner part of a value (GitHub `repo:OWNER/…`), or the whole value when it has no structure. */
  owner(value: string): string;
  /** A value a stranger owns, built around a fresh token. */
  stranger(token: string): string;
}

export interface ProviderProfile {
  /** What a human calls it. */
  label: string;
  /** True when anyone on the internet can obtain a token from it. */
  multiTenant: boolean;
  /** Condition-key prefix: the provider URL without `https://` (`token.actions.githubusercontent.com`). */
  keyPrefix: string;
  claims: IdentityClaim[];
}

const whole = (v: string): string => v;
const between = (prefix: string, stop: string) => (v: string): string => (v.startsWith(prefix) ? (v.slice(prefix.length).split(stop)[0] as string) : v);

/** The condition-key prefix of a Federated principal (`arn:aws:iam::1:oidc-provider/HOST/PATH` -> `HOST/PATH`). */
export function providerKeyPrefix(federated: string): string | undefined {
  const oidc = /^arn:[^:]+:iam::[^:]*:oidc-provider\/(.+)$/.exec(federated);
  if (oidc) return oidc[1];
  if (/^arn:[^:]+:iam::[^:]*:saml-provider\//.test(federated)) return undefined;
  return /^[a-z0-9.-]+\.[a-z]{2,}(\/.*)?$/i.test(federated) ? federated : undefined;
}

/**
 * The profile of a Federated principal; undefined for SAML providers (the account's own IdP names
 * the role in its assertion: not judged, see docs/policy-engine.md) and values that are not providers.
 */
export function providerProfile(federated: string): ProviderProfile | undefined {
  const keyPrefix = providerKeyPrefix(federated);
  if (!keyPrefix) return undefined;
  const host = keyPrefix.toLowerCase();
  if (host === 'token.actions.githubusercontent.com') {
    return { label: 'GitHub Actions (any repository on GitHub)', multiTenant: true, keyPrefix, claims: [{ claim: 'sub', owner: between('repo:', '/'), stranger: (t) => `repo:${t}/${t}:ref:refs/heads/main` }] };
  }
  if (host === 'gitlab.com') {
    return { label: 'GitLab.com CI (any project on gitlab.com)', multiTenant: true, keyPrefix, claims: [{ claim: 'sub', owner: between('project_path:', '/'), stranger: (t) => `project_path:${t}/${t}:ref_type:branch:ref:main` }] };
  }
  if (host === 'app.terraform.io') {
    return { label: 'HCP Terraform (any organization)', multiTenant: true, keyPrefix, claims: [{ claim: 'sub', owner: between('organization:', ':'), stranger: (t) => `organization:${t}:project:${t}:workspace:${t}:run_phase:apply` }] };
  }
  if (host === 'cognito-identity.amazonaws.com') {
    return {
      label: 'Amazon Cognito (any identity pool in any account)',
      multiTenant: true,
      keyPrefix,
      claims: [
        { claim: 'aud', owner: whole, stranger: (t) => `us-east-1:${t}` },
        { claim: 'sub', owner: whole, stranger: (t) => `us-east-1:${t}-identity` },
      ],
    };
  }
  if (host === 'accounts.google.com') {
    return {
      label: 'Google (any Google account, any OAuth client)',
      multiTenant: true,
      keyPrefix,
      claims: [
        { claim: 'aud', owner: whole, stranger: (t) => `${t}.apps.googleusercontent.com` },
        { claim: 'oaud', owner: whole, stranger: (t) => `${t}.apps.googleusercontent.com` },
        { claim: 'sub', owner: whole, stranger: (t) => `${t}0` },
      ],
    };
  }
  if (host === 'graph.facebook.com' || host === 'www.amazon.com') {
    return {
      label: host === 'graph.facebook.com' ? 'Facebook (any app)' : 'Login with Amazon (any app)',
      multiTenant: true,
      keyPrefix,
      claims: [
        { claim: 'app_id', owner: whole, stranger: (t) => t },
        { claim: host === 'graph.facebook.com' ? 'id' : 'user_id', owner: whole, stranger: (t) => `${t}0` },
      ],
    };
  }
  if (/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\//.test(host)) {
    return { label: 'the EKS cluster (any service account of any namespace)', multiTenant: false, keyPrefix, claims: [{ claim: 'sub', owner: whole, stranger: (t) => `system:serviceaccount:${t}:${t}` }] };
  }
  return {
    label: `the OIDC provider ${keyPrefix} (any identity it issues tokens to)`,
    multiTenant: false,
    keyPrefix,
    claims: [
      { claim: 'sub', owner: whole, stranger: (t) => t },
      { claim: 'aud', owner: whole, stranger: (t) => t },
    ],
  };
}
