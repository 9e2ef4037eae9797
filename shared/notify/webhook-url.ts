import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';

/**
 * Reads the Slack webhook URL from SSM Parameter Store (a SecureString, decrypted) through
 * Powertools Parameters, cached for the life of the Lambda container: one GetParameter per cold
 * start, never an environment variable, never logged. A Secrets Manager secret works too: name it
 * `/aws/reference/secretsmanager/<secret-id>` (SSM's documented pass-through), and grant
 * secretsmanager:GetSecretValue on it.
 */
export const CACHE_SECONDS = 24 * 3600;

/** A URL Trailwatch will post alerts to: https only (http only for loopback, used by tests and local runs). */
export function checkWebhookUrl(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error('the webhook parameter is empty');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error('the webhook parameter is not a URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error('the webhook URL must use https');
  return url.toString();
}

/** A cached getter for the webhook URL stored in parameter `name`. */
export function webhookUrlFromSsm(name: string, provider: Pick<SSMProvider, 'get'> = new SSMProvider()): () => Promise<string> {
  return async () => {
    if (!name) throw new Error('no webhook parameter name configured (TRAILWATCH_SLACK_WEBHOOK_PARAMETER)');
    const value = await provider.get(name, { decrypt: true, maxAge: CACHE_SECONDS });
    return checkWebhookUrl(value);
  };
}
