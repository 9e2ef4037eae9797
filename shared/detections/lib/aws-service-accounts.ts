/**
 * AWS-owned accounts that customer policies grant on purpose, and what for. A grant to one of
 * these, for that purpose only, is AWS delivering a feature, not access for a foreign party.
 *
 * Elastic Load Balancing writes access logs from one account per region (regions opened before
 * August 2022; newer ones use the `logdelivery.elasticloadbalancing.amazonaws.com` service
 * principal). Source: "Enable access logs for your Application Load Balancer", step "Attach a
 * policy to your S3 bucket" (docs.aws.amazon.com/elasticloadbalancing/latest/application/
 * enable-access-logging.html), the same table Terraform's `aws_elb_service_account` data source
 * keeps. Refresh this list from there when AWS adds a region.
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  '127311923021': 'us-east-1',
  '033677994240': 'us-east-2',
  '027434742980': 'us-west-1',
  '797873946194': 'us-west-2',
  '098369216593': 'af-south-1',
  '754344448648': 'ap-east-1',
  '589379963580': 'ap-southeast-3',
  '718504428378': 'ap-south-1',
  '383597477331': 'ap-northeast-3',
  '600734575887': 'ap-northeast-2',
  '114774131450': 'ap-southeast-1',
  '783225319266': 'ap-southeast-2',
  '582318560864': 'ap-northeast-1',
  '985666609251': 'ca-central-1',
  '054676820928': 'eu-central-1',
  '156460612806': 'eu-west-1',
  '652711504416': 'eu-west-2',
  '635631232127': 'eu-south-1',
  '009996457667': 'eu-west-3',
  '897822967062': 'eu-north-1',
  '076674570225': 'me-south-1',
  '507241528517': 'sa-east-1',
  '048591011584': 'us-gov-west-1',
  '190560391635': 'us-gov-east-1',
};

/** Actions a log-delivery account needs on a bucket: writing objects (and nothing that reads or administers). */
const LOG_DELIVERY_ACTIONS = new Set(['s3:putobject']);

/**
 * Why `account` is not a foreign party when an S3 bucket policy grants it exactly `actions`
 * (lower-cased `service:Action` strings), or undefined when it is foreign. Only writes count:
 * the same account granted `s3:GetObject` or trusted by a role is foreign like any other.
 */
export function awsServiceAccountPurpose(account: string, actions: readonly string[]): string | undefined {
  const region = ELB_LOG_DELIVERY_ACCOUNTS[account];
  if (!region || actions.length === 0) return undefined;
  if (!actions.every((a) => LOG_DELIVERY_ACTIONS.has(a.toLowerCase()))) return undefined;
  return `Elastic Load Balancing log delivery (${region})`;
}
