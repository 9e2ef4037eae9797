/** The scheduled event a member's HeartbeatRule puts on the central bus (EventBridge keeps the member's envelope). */
export function beatEnvelope(account: string, region: string, timeMs: number): Record<string, unknown> {
  return {
    version: '0',
    id: `hb-${account}-${region}-${timeMs}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: new Date(timeMs).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/trailwatch-prod-forwarder-heartbeat`],
    detail: {},
  };
}
