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
