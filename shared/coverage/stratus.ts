/**
 * Stratus Red Team techniques (DataDog/stratus-red-team, AWS) that no per-event detection catches, with
 * the reason. Every other technique is claimed by a detection's `references.stratus`;
 * test/external/stratus.test.ts replays the detonation logs and holds both lists to the truth.
 */
export const STRATUS_NOT_DETECTED: Readonly<Record<string, string>> = {
  // Reading secrets one call at a time is what every application does; only volume tells an attack apart.
  'aws.credential-access.secretsmanager-batch-retrieve-secrets': 'BatchGetSecretValue volume: the API-rate detector (shared/rates), not a per-event rule',
  'aws.credential-access.secretsmanager-retrieve-secrets': 'GetSecretValue volume: the API-rate detector, not a per-event rule',
  'aws.credential-access.ssm-retrieve-securestring-parameters': 'GetParameters with decryption volume: the API-rate detector, not a per-event rule',
};
