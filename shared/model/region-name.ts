/**
 * The shape of an AWS region name, in one place: a partition/geography prefix of two to four
 * letters, one or more words, a number (`eu-west-1`, `us-gov-west-1`, `us-isob-east-1`,
 * `cn-north-1`, `ap-southeast-7`, `eusc-de-east-1`). Checks names we are told (the tuning file, a
 * heartbeat's envelope, a command we print); never used to reject CloudTrail events.
 */
export const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/**
 * A region name, or one with a trailing letter as anonymised logs write them (Stratus's
 * `eu-west-2r`): what may go into a console URL. Nothing else can choose a URL's host or path.
 */
export const LINKABLE_REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}[a-z]?$/;

/** `value` when it is a region name, else undefined. */
export function regionName(value: unknown): string | undefined {
  return typeof value === 'string' && REGION_NAME.test(value) ? value : undefined;
}
