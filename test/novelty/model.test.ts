import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { DynamoNoveltyStore } from '../../shared/novelty/dynamodb-store.ts';
import { NoveltyModel } from '../../shared/novelty/model.ts';
import { MAX_VALUES_PER_DIMENSION, MemoryNoveltyStore, type NoveltyStore } from '../../shared/novelty/store.ts';
import { startRateTable } from '../rates/dynalite.ts';

const TF_UA = 'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 aws-sdk-go-v2/1.25.3';

/** A policy-changed finding by the Terraform role's session `session`, `hour` hours after the first, as the detection builds it. */
function change(opts: { session?: string; ip?: string; ua?: string; region?: string; id?: string; hour?: number; role?: string } = {}): Finding {
  const role = opts.role ?? 'terraform-apply';
  const hour = opts.hour ?? 0;
  return {
    detection: 'policy-changed',
    severity: 'medium',
    title: `${role} ran iam:PutRolePolicy`,
    eventId: opts.id ?? `ev-${role}-${hour}-${opts.session ?? 's'}`,
    eventName: 'PutRolePolicy',
    eventSource: 'iam.amazonaws.com',
    time: new Date(Date.UTC(2026, 10, 2, 9) + hour * 3_600_000).toISOString(),
    account: '111122223333',
    region: opts.region ?? 'us-east-1',
    principal: {
      type: 'AssumedRole',
      name: opts.session ?? 'gha-run-1',
      arn: `arn:aws:sts::111122223333:assumed-role/${role}/${opts.session ?? 'gha-run-1'}`,
      accessKeyId: 'ASIAEXAMPLE000000001',
      sessionIssuerArn: `arn:aws:iam::111122223333:role/${role}`,
    },
    sourceIp: opts.ip ?? '203.0.113.10',
    userAgent: opts.ua ?? TF_UA,
    details: {},
  };
}

/** The same scenario against any store: the memory and DynamoDB stores must agree verdict for verdict. */
async function scenario(store: NoveltyStore): Promise<Array<{ novel: boolean; reasons: string[] }>> {
  const model = new NoveltyModel(store);
  const out = [];
  out.push(await model.assess(change({ session: 'run-1', hour: 0 }))); // first time: novel
  out.push(await model.assess(change({ session: 'run-2', hour: 1, ip: '203.0.113.99' }))); // new session, same /24: routine
  out.push(await model.assess(change({ session: 'run-3', hour: 2, ua: TF_UA.replace('1.7.5', '1.8.0') }))); // patch upgrade: routine
  out.push(await model.assess(change({ session: 'x', hour: 3, ip: '198.51.100.7' }))); // new network: novel
  out.push(await model.assess(change({ session: 'x', hour: 4, ip: '198.51.100.7', ua: 'aws-cli/2.15.0 Python/3.11' }))); // new tool: novel
  out.push(await model.assess(change({ session: 'x', hour: 5, region: 'ap-southeast-1' }))); // new region: novel
  out.push(await model.assess(change({ role: 'intern', hour: 6 }))); // a new actor for this change: novel
  out.push(await model.assess(change({ session: 'run-1', hour: 0 }))); // redelivery of the first event: novel again
  return out.map((v) => ({ novel: v.novel, reasons: v.reasons }));
}

describe('novelty model (memory store)', () => {
  it('same change by the usual actor from the usual place is routine; a new actor, network, user agent or region is novel', async () => {
    const verdicts = await scenario(new MemoryNoveltyStore());
    expect(verdicts.map((v) => v.novel)).toEqual([true, false, false, true, true, true, true, true]);
    expect(verdicts[0]?.reasons[0]).toMatch(/first time arn:aws:iam::111122223333:role\/terraform-apply makes this change \(policy-changed:PutRolePolicy\)/);
    expect(verdicts[3]?.reasons).toEqual(['new network 198.51.100.0/24']);
    expect(verdicts[4]?.reasons).toEqual(['new user agent aws-cli/2']);
    expect(verdicts[5]?.reasons).toEqual(['new region ap-southeast-1']);
    expect(verdicts[7]?.reasons).toEqual(['judged novel when first delivered (redelivery)']);
  });

  it('role sessions are keyed by their role: every CI job is a new session name, not a new actor', async () => {
    const model = new NoveltyModel(new MemoryNoveltyStore());
    await model.assess(change({ session: 'gha-1' }));
    for (let i = 2; i < 30; i++) expect((await model.assess(change({ session: `gha-${i}`, hour: i }))).novel).toBe(false);
  });

  it('a dimension with more distinct values than the cap is no longer news (an actor seen everywhere)', async () => {
    const model = new NoveltyModel(new MemoryNoveltyStore());
    for (let i = 0; i < MAX_VALUES_PER_DIMENSION; i++) await model.assess(change({ ip: `198.51.${i}.1`, hour: i }));
    expect((await model.assess(change({ ip: '192.0.2.1', hour: 59 }))).novel).toBe(false);
  });

  it('something new stays news for an hour: the rest of a burst or an attacker’s next steps are not routine yet', async () => {
    const model = new NoveltyModel(new MemoryNoveltyStore());
    const at = (minutes: number, ip = '203.0.113.10') => ({ ...change({ ip, id: `m${minutes}-${ip}` }), time: new Date(Date.UTC(2026, 10, 2, 9) + minutes * 60_000).toISOString() });
    expect((await model.assess(at(0))).novel).toBe(true);
    const soon = await model.assess(at(20));
    expect(soon.novel).toBe(true);
    expect(soon.reasons[0]).toMatch(/^new: arn:aws:iam::111122223333:role\/terraform-apply makes this change \(policy-changed:PutRolePolicy\), first seen 20 min ago$/);
    expect((await model.assess(at(61))).novel).toBe(false);
    expect((await model.assess(at(120, '192.0.2.8'))).reasons).toEqual(['new network 192.0.2.0/24']);
    expect((await model.assess(at(150, '192.0.2.9'))).reasons).toEqual(['new network 192.0.2.0/24 (first seen 30 min ago)']);
    expect((await model.assess(at(200, '192.0.2.9'))).novel).toBe(false);
  });

  it('a roaming actor (cloud CI runners on many /24s) is not news for a new /24 of a known /16, nor once it has roamed four /16s', async () => {
    const model = new NoveltyModel(new MemoryNoveltyStore());
    const runner = (hour: number, ip: string) => model.assess(change({ hour, ip, id: `r${hour}` }));
    await runner(0, '4.148.1.1');
    expect((await runner(2, '4.148.2.1')).novel).toBe(true); // two /24s: still a stable footprint
    await runner(4, '4.148.3.1');
    await runner(6, '4.148.4.1');
    expect((await runner(8, '4.148.99.1')).novel).toBe(false); // roams within 4.148.0.0/16
    expect((await runner(10, '4.151.7.1')).reasons).toEqual(['new network 4.151.7.0/24']); // a new /16 is news
    await runner(12, '4.152.7.1');
    await runner(14, '4.153.7.1');
    expect((await runner(16, '4.155.7.1')).novel).toBe(false); // four /16s: networks are no signal for it
    expect((await model.assess(change({ hour: 18, ip: '4.155.9.9', ua: 'curl/8.5.0', id: 'curl' }))).reasons).toEqual(['new user agent curl/8']);
  });

  it('memory stays bounded by keys, not events', async () => {
    const store = new MemoryNoveltyStore();
    const model = new NoveltyModel(store);
    for (let i = 0; i < 2000; i++) await model.assess(change({ session: `s${i % 7}`, hour: i % 60, id: `e${i}` }));
    expect(store.size).toBe(1);
  });
});

describe('novelty model (DynamoDB store on dynalite)', () => {
  let table: Awaited<ReturnType<typeof startRateTable>>;
  beforeAll(async () => {
    table = await startRateTable('novelty');
  });
  afterAll(async () => table?.stop());

  it('gives exactly the memory store verdicts', async () => {
    const memory = await scenario(new MemoryNoveltyStore());
    const dynamo = await scenario(new DynamoNoveltyStore(table.client as DynamoDBClient, 'novelty'));
    expect(dynamo).toEqual(memory);
  });

  it('two concurrent writers both see a new network as news (neither misses it), and it is learned once', async () => {
    const a = new NoveltyModel(new DynamoNoveltyStore(table.client, 'novelty'));
    const b = new NoveltyModel(new DynamoNoveltyStore(table.client, 'novelty'));
    await a.assess(change({ role: 'race', hour: 0 }));
    const verdicts = await Promise.all([a.assess(change({ role: 'race', ip: '192.0.2.1', hour: 1, id: 'r1' })), b.assess(change({ role: 'race', ip: '192.0.2.1', hour: 1, id: 'r2' }))]);
    expect(verdicts.map((v) => v.novel)).toEqual([true, true]);
    expect(verdicts.map((v) => v.reasons[0]).sort()).toEqual(['new network 192.0.2.0/24', 'new network 192.0.2.0/24 (first seen just now)']);
    expect((await b.assess(change({ role: 'race', ip: '192.0.2.1', hour: 3, id: 'r3' }))).novel).toBe(false);
  });
});
