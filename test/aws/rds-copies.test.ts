/**
 * An Aurora cluster's copies in other Regions (its cross-Region read replica clusters, a global
 * secondary's primary), read on the wire in their own Region: through the same lean decoding as every
 * other listing, and one filtered listing per destination Region, not one call per copy.
 */
import { Readable } from 'node:stream';
import { RDSClient } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { pitrCrossRegionCheck } from '../../functions/checks/pitr/cross-region.ts';
import type { PitrFact } from '../../functions/core/facts.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const COPY_REGION = 'us-east-1';
const NOW = new Date('2026-09-01T12:00:00.000Z');
const policy = parsePolicy({
  targets: { all: true },
  aws: { regions: [REGION] },
  pitr: { requireCrossRegionBackup: true },
});

const sourceArn = (id: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`;
const copyArn = (id: string, region = COPY_REGION) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}-copy`;

/** What one client was asked: each request's form parameters. */
type Asked = URLSearchParams[];

/**
 * A client of `region` whose every answer is a 200 wrapping what `result` makes of the request, or
 * the error `result` throws as a 403/400 query error (`{ status, code }`).
 */
function answering(
  region: string,
  result: (params: URLSearchParams) => string,
): { client: RDSClient; asked: Asked } {
  const asked: Asked = [];
  const client = new RDSClient({
    region,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        const params = new URLSearchParams(String(request.body ?? ''));
        asked.push(params);
        const action = params.get('Action') ?? '';
        let body: string;
        let statusCode = 200;
        try {
          body = `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${result(params)}</${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
        } catch (error) {
          const { status, code } = error as { status: number; code: string };
          statusCode = status;
          body = `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>User: arn:aws:sts::${ACCOUNT}:assumed-role/audit is not authorized to perform: rds:DescribeDBClusters</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`;
        }
        return {
          response: {
            statusCode,
            headers: { 'content-type': 'text/xml' },
            body: Readable.from([Buffer.from(body, 'utf8')]),
          },
        };
      },
    } as never,
  });
  return { client, asked };
}

/** A `<DBCluster>` element: an available Aurora PostgreSQL cluster with `extra` members. */
function clusterXml(id: string, arn: string, extra: string): string {
  return `<DBCluster><DBClusterIdentifier>${id}</DBClusterIdentifier><DBClusterArn>${arn}</DBClusterArn><Engine>aurora-postgresql</Engine><Status>available</Status>${extra}</DBCluster>`;
}

/** The source Region: no instance, and `ids` as Aurora clusters each with a replica in `copyRegion`. */
function sourceRegion(ids: readonly string[], copyRegion: (id: string) => string = () => COPY_REGION) {
  return answering(REGION, (params) => {
    switch (params.get('Action')) {
      case 'DescribeDBClusters':
        return `<DBClusters>${ids
          .map((id) =>
            clusterXml(
              id,
              sourceArn(id),
              `<BackupRetentionPeriod>35</BackupRetentionPeriod><EarliestRestorableTime>2026-07-01T00:00:00Z</EarliestRestorableTime><ReadReplicaIdentifiers><ReadReplicaIdentifier>${copyArn(id, copyRegion(id))}</ReadReplicaIdentifier></ReadReplicaIdentifiers>`,
            ),
          )
          .join('')}</DBClusters>`;
      case 'DescribeDBInstances':
        return '<DBInstances/>';
      default:
        return '<DBInstanceAutomatedBackups/>';
    }
  });
}

/** The ARNs a DescribeDBClusters request filters on (`db-cluster-id`). */
function filteredArns(params: URLSearchParams): string[] {
  expect(params.get('Filters.Filter.1.Name')).toBe('db-cluster-id');
  return [...params.entries()]
    .filter(([name]) => name.startsWith('Filters.Filter.1.Values.Value.'))
    .map(([, value]) => value);
}

/**
 * A copy Region listing each copy asked for (by the `db-cluster-id` filter, or one by
 * `DBClusterIdentifier`) keeping `retention` (the element's text, as sent).
 */
function copyRegionListing(region: string, retention: string) {
  return answering(region, (params) => {
    const one = params.get('DBClusterIdentifier');
    const listed = (one ? [one] : filteredArns(params))
      .map((arn) =>
        clusterXml(
          arn.split(':cluster:')[1] ?? arn,
          arn,
          `<BackupRetentionPeriod>${retention}</BackupRetentionPeriod><EarliestRestorableTime>2026-07-01T00:00:00Z</EarliestRestorableTime>`,
        ),
      )
      .join('');
    return `<DBClusters>${listed}</DBClusters>`;
  });
}

const judged = (fact: PitrFact | undefined) =>
  fact && pitrCrossRegionCheck.evaluate(fact, { policy, now: NOW });

describe('an Aurora cluster’s copies read in their own Region', () => {
  it.each([
    ['<BackupRetentionPeriod/>', ''],
    ['a hexadecimal <BackupRetentionPeriod>', '0x23'],
  ])(
    'leaves a copy sent %s without a retention: pitr.cross-region NOT_AVAILABLE, never FAILED or PASSED',
    async (_, retention) => {
      // Prepare: the copy restores back two months; its retention is no decimal integer. The SDK's
      // deserializer reads '' as 0 and 0x23 as 35.
      const source = sourceRegion(['orders']);
      const copy = copyRegionListing(COPY_REGION, retention);
      // Act
      const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
        clientIn: () => copy.client,
      });
      const outcome = judged(fact);
      // Assess
      expect(fact?.aurora?.copies).toEqual([
        expect.objectContaining({ arn: copyArn('orders'), read: true, backupRetentionPeriod: undefined }),
      ]);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('was sent without BackupRetentionPeriod');
      source.client.destroy();
      copy.client.destroy();
    },
  );

  it('carries the copy’s own ClusterCreateTime, and a window reaching back before it proves nothing', async () => {
    // Prepare: the copy was created on 2026-08-20 yet says it restores back to 2026-07-01.
    const source = sourceRegion(['orders']);
    const copy = answering(COPY_REGION, (params) => {
      const [arn] = filteredArns(params);
      return `<DBClusters>${clusterXml('orders-copy', arn ?? '', '<BackupRetentionPeriod>35</BackupRetentionPeriod><EarliestRestorableTime>2026-07-01T00:00:00Z</EarliestRestorableTime><ClusterCreateTime>2026-08-20T00:00:00Z</ClusterCreateTime>')}</DBClusters>`;
    });
    // Act
    const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    // Assess
    expect(fact?.aurora?.copies).toEqual([
      expect.objectContaining({ arn: copyArn('orders'), createdAt: new Date('2026-08-20T00:00:00Z') }),
    ]);
    expect(judged(fact)?.status).toBe('NOT_AVAILABLE');
    expect(judged(fact)?.description).toContain('before its ClusterCreateTime');
    source.client.destroy();
    copy.client.destroy();
  });

  it('leaves a copy its Region lists twice with different retentions not read: pitr.cross-region NOT_AVAILABLE, not PASSED on the first', async () => {
    // Prepare: the copy's Region names it keeping 35 days, then 1 day.
    const source = sourceRegion(['orders']);
    const copy = answering(COPY_REGION, (params) => {
      const [arn] = filteredArns(params);
      const entry = (retention: number) =>
        clusterXml(
          'orders-copy',
          arn ?? '',
          `<BackupRetentionPeriod>${retention}</BackupRetentionPeriod><EarliestRestorableTime>2026-07-01T00:00:00Z</EarliestRestorableTime>`,
        );
      return `<DBClusters>${entry(35)}${entry(1)}</DBClusters>`;
    });
    // Act
    const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    const outcome = judged(fact);
    // Assess
    expect(fact?.aurora?.copies).toEqual([
      expect.objectContaining({
        arn: copyArn('orders'),
        read: false,
        reason: expect.stringContaining(
          'answer listed DBCluster orders-copy more than once with different values (BackupRetentionPeriod)',
        ),
      }),
    ]);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    source.client.destroy();
    copy.client.destroy();
  });

  it('lists the copies of a Region in one filtered DescribeDBClusters there, not one call per copy', async () => {
    // Prepare: five clusters, four with a replica in us-east-1, one in us-west-2.
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const source = sourceRegion(ids, (id) => (id === 'e' ? 'us-west-2' : COPY_REGION));
    const east = copyRegionListing(COPY_REGION, '35');
    const west = copyRegionListing('us-west-2', '35');
    // Act
    const facts = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: (region) => (region === COPY_REGION ? east.client : west.client),
    });
    // Assess
    expect(east.asked).toHaveLength(1);
    expect(east.asked[0]?.get('Action')).toBe('DescribeDBClusters');
    expect(east.asked[0]?.get('DBClusterIdentifier')).toBeNull();
    expect(filteredArns(east.asked[0] as URLSearchParams).sort()).toEqual(
      ['a', 'b', 'c', 'd'].map((id) => copyArn(id)),
    );
    expect(west.asked.map(filteredArns)).toEqual([[copyArn('e', 'us-west-2')]]);
    expect(facts.map((fact) => judged(fact)?.status)).toEqual(Array(5).fill('PASSED'));
    for (const client of [source.client, east.client, west.client]) client.destroy();
  });

  it('splits a Region’s copies into listings of at most 50 ARNs', async () => {
    // Prepare: 120 clusters with a replica each in us-east-1.
    const ids = Array.from({ length: 120 }, (_, index) => `db${String(index).padStart(3, '0')}`);
    const source = sourceRegion(ids);
    const copy = copyRegionListing(COPY_REGION, '35');
    // Act
    const facts = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    // Assess
    expect(copy.asked.map((params) => filteredArns(params).length)).toEqual([50, 50, 20]);
    expect(new Set(copy.asked.flatMap(filteredArns)).size).toBe(120);
    expect(facts.every((fact) => judged(fact)?.status === 'PASSED')).toBe(true);
    source.client.destroy();
    copy.client.destroy();
  });

  it('keeps the scope and names the permission when the copy’s Region refuses the listing', async () => {
    // Prepare
    const source = sourceRegion(['orders']);
    const copy = answering(COPY_REGION, () => {
      throw { status: 403, code: 'AccessDenied' };
    });
    // Act
    const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    const outcome = judged(fact);
    // Assess
    expect(fact?.aurora?.copies).toEqual([
      expect.objectContaining({
        region: COPY_REGION,
        arn: copyArn('orders'),
        read: false,
        accessDenied: true,
      }),
    ]);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `DescribeDBClusters of ${copyArn('orders')} in ${COPY_REGION} was not read`,
    );
    expect(outcome?.description).toContain('AccessDenied');
    // RDS's message names the refused action and the caller's ARN: the finding keeps the action only.
    expect(outcome?.description).toContain('User is not authorized to perform: rds:DescribeDBClusters');
    expect(outcome?.description).not.toContain('assumed-role');
    expect(outcome?.remediationText).toContain(`rds:DescribeDBClusters in ${COPY_REGION}`);
    source.client.destroy();
    copy.client.destroy();
  });

  it('reads a copy its Region lists without DBClusterArn by the identifier its ARN names', async () => {
    // Prepare
    const source = sourceRegion(['orders']);
    const copy = answering(
      COPY_REGION,
      () =>
        `<DBClusters><DBCluster><DBClusterIdentifier>orders-copy</DBClusterIdentifier><Engine>aurora-postgresql</Engine><Status>available</Status><BackupRetentionPeriod>35</BackupRetentionPeriod><EarliestRestorableTime>2026-07-01T00:00:00Z</EarliestRestorableTime></DBCluster></DBClusters>`,
    );
    // Act
    const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    // Assess
    expect(fact?.aurora?.copies).toEqual([
      expect.objectContaining({
        arn: copyArn('orders'),
        read: true,
        id: 'orders-copy',
        backupRetentionPeriod: 35,
      }),
    ]);
    expect(judged(fact)?.status).toBe('PASSED');
    source.client.destroy();
    copy.client.destroy();
  });

  it('says the copy is not listed there when the filtered listing leaves it out', async () => {
    // Prepare: the Region answers, without the copy (deleted since, or another account's ARN).
    const source = sourceRegion(['orders']);
    const copy = answering(COPY_REGION, () => '<DBClusters/>');
    // Act
    const [fact] = await collectRdsPitrFacts(source.client, { account: ACCOUNT, region: REGION }, policy, {
      clientIn: () => copy.client,
    });
    const outcome = judged(fact);
    // Assess
    expect(fact?.aurora?.copies).toEqual([
      expect.objectContaining({ arn: copyArn('orders'), read: false, accessDenied: false }),
    ]);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(`${COPY_REGION} lists no DB cluster ${copyArn('orders')}`);
    source.client.destroy();
    copy.client.destroy();
  });
});

describe('an Aurora cluster’s copies read from the simulator', () => {
  let sim: Sim;
  const SIM_NOW = new Date('2026-03-15T12:00:00.000Z');
  const arnIn = (region: string, id: string) => `arn:aws:rds:${region}:${DEFAULT_ACCOUNT_ID}:cluster:${id}`;
  const ids = ['orders', 'billing', 'ledger'];

  beforeEach(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: REGION }, { name: COPY_REGION }],
        services: {
          rds: {
            clusters: ids.flatMap((id) => [
              {
                id,
                region: REGION,
                backupRetentionPeriod: 35,
                readReplicaIdentifiers: [arnIn(COPY_REGION, `${id}-us`)],
              },
              {
                id: `${id}-us`,
                region: COPY_REGION,
                backupRetentionPeriod: id === 'ledger' ? 7 : 35,
                replicationSourceIdentifier: arnIn(REGION, id),
              },
            ]),
          },
        },
      },
      clock: () => SIM_NOW,
    });
  });

  afterEach(async () => {
    await sim.close();
  });

  it('reads every copy of a Region with one filtered DescribeDBClusters there, judging each on its own retention', async () => {
    // Prepare
    const clients = new Map<string, RDSClient>();
    const clientIn = (region: string): RDSClient => {
      const found = clients.get(region);
      if (found) return found;
      const made = new RDSClient({
        region,
        endpoint: sim.endpoint,
        credentials: simCredentials(),
        maxAttempts: 1,
      });
      clients.set(region, made);
      return made;
    };
    const simPolicy = parsePolicy({
      targets: { identifiers: ids },
      aws: { regions: [REGION] },
      pitr: { requireCrossRegionBackup: true },
    });
    // Act
    const facts = await collectRdsPitrFacts(
      clientIn(REGION),
      { account: DEFAULT_ACCOUNT_ID, region: REGION },
      simPolicy,
      { clientIn },
    );
    const status = (id: string) => {
      const fact = facts.find((candidate) => candidate.resource.id === id);
      return fact && pitrCrossRegionCheck.evaluate(fact, { policy: simPolicy, now: SIM_NOW })?.status;
    };
    // Assess: the source Region's own listing, and one listing of the three copies in us-east-1.
    expect(sim.stats().byOperation['rds:DescribeDBClusters']).toBe(2);
    const copies = facts.flatMap((fact) => fact.aurora?.copies ?? []);
    expect(copies.map((copy) => [copy.arn, copy.read]).sort()).toEqual(
      ids.map((id) => [arnIn(COPY_REGION, `${id}-us`), true]).sort(),
    );
    expect(ids.map(status)).toEqual(['PASSED', 'PASSED', 'FAILED']);
    for (const client of clients.values()) client.destroy();
  });
});
