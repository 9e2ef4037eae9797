/**
 * Stratus Red Team techniques (DataDog/stratus-red-team, AWS) that no per-event detection catches, with
 * the reason. Every other technique is claimed by a detection's `references.stratus`;
 * test/external/stratus.test.ts replays the detonation logs and holds both lists to the truth.
 */
export const STRATUS_NOT_DETECTED: Readonly<Record<string, string>> = {
  // Reading secrets one call at a time is what every application does; only volume tells an attack apart
  // (BatchGetSecretValue by filter is reported by secrets-batch-retrieval).
  // The detonations are small (5 to 20 calls within seconds), below the API-rate detector's floors
  // (30 calls/min per principal, 100 per API; 300 and 600 without history), so it stays quiet too:
  // test/external/stratus.test.ts runs it on them.
  'aws.credential-access.secretsmanager-retrieve-secrets':
    'GetSecretValue: reading secrets is everyday application work, only volume is a signal; 20 calls in a minute are below the API-rate detector\'s floors',
  'aws.credential-access.ssm-retrieve-securestring-parameters':
    'GetParameters with decryption: everyday application work, only volume is a signal; 5 calls are below the API-rate detector\'s floors',
};
