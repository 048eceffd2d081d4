import { Readable } from 'node:stream';
import { RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import {
  describePendingMaintenance,
  describeRdsSnapshotSharing,
  describeRdsSnapshots,
  everyPage,
  listManualRdsSnapshots,
} from '../../functions/aws/rds-snapshots.ts';
import { CloudApiError } from '../../functions/core/errors.ts';

describe('everyPage (the snapshot and pending-maintenance listings)', () => {
  it('reads every page in order until a page names no Marker', async () => {
    // Prepare
    const answers: Record<string, { items: number[]; marker: string | undefined }> = {
      first: { items: [1, 2], marker: 'm1' },
      m1: { items: [3], marker: 'm2' },
      m2: { items: [4], marker: undefined },
    };
    const asked: (string | undefined)[] = [];

    // Act
    const items = await everyPage(async (marker) => {
      asked.push(marker);
      return answers[marker ?? 'first'] as { items: number[]; marker: string | undefined };
    });

    // Assess
    expect(items).toEqual([1, 2, 3, 4]);
    expect(asked).toEqual([undefined, 'm1', 'm2']);
  });

  it('fails with RepeatedMarker, not a listing of the same snapshots over and over, when a page names a Marker already sent', async () => {
    // Prepare: after the first page, every page names the same Marker (stopped after 50 pages, so
    // a reader that never notices ends instead of hanging the test).
    let calls = 0;
    const fetch = async (marker: string | undefined) => {
      calls += 1;
      return { items: [calls], marker: calls < 50 ? 'm1' : marker === undefined ? 'm1' : undefined };
    };

    // Act
    const reading = everyPage(fetch);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(CloudApiError);
    await expect(reading).rejects.toMatchObject({ code: 'RepeatedMarker' });
    expect(calls).toBe(2);
  });
});

describe('the snapshot listings when a 200 answer leaves out its list element', () => {
  /** A client whose every answer is a 200 whose result is `result` (the list element, or nothing). */
  function answering(result: string): RDSClient {
    return new RDSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          const action = new URLSearchParams(String(request.body ?? '')).get('Action');
          const body =
            `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${result}</${action}Result>` +
            `<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'text/xml' },
              body: Readable.from([Buffer.from(body, 'utf8')]),
            },
          };
        },
      } as never,
    });
  }

  const LISTS = [
    { kind: 'rds-instance', api: 'DescribeDBSnapshots', element: 'DBSnapshots' },
    { kind: 'aurora-cluster', api: 'DescribeDBClusterSnapshots', element: 'DBClusterSnapshots' },
  ] as const;

  it('carries the resource id of the database each snapshot was taken of, and none when it was not sent', async () => {
    // Prepare: two instance snapshots, one naming its DbiResourceId; one cluster snapshot naming
    // its DbClusterResourceId.
    const instances = answering(
      '<DBSnapshots><DBSnapshot><DBSnapshotIdentifier>with-id</DBSnapshotIdentifier><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-ABC</DbiResourceId><Status>available</Status></DBSnapshot>' +
        '<DBSnapshot><DBSnapshotIdentifier>without-id</DBSnapshotIdentifier><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><Status>available</Status></DBSnapshot></DBSnapshots>',
    );
    const clusters = answering(
      '<DBClusterSnapshots><DBClusterSnapshot><DBClusterSnapshotIdentifier>cluster-snap</DBClusterSnapshotIdentifier><DBClusterIdentifier>certctl-aurora</DBClusterIdentifier><DbClusterResourceId>cluster-XYZ</DbClusterResourceId><Status>available</Status></DBClusterSnapshot></DBClusterSnapshots>',
    );

    // Act
    const listed = await listManualRdsSnapshots(instances, 'rds-instance');
    const clusterListed = await listManualRdsSnapshots(clusters, 'aurora-cluster');

    // Assess
    expect(listed.map((snapshot) => [snapshot.id, snapshot.sourceResourceId])).toEqual([
      ['with-id', 'db-ABC'],
      ['without-id', undefined],
    ]);
    expect(clusterListed.map((snapshot) => [snapshot.id, snapshot.sourceResourceId])).toEqual([
      ['cluster-snap', 'cluster-XYZ'],
    ]);
    instances.destroy();
    clusters.destroy();
  });

  it('reads <PendingMaintenanceActions/> as no pending maintenance', async () => {
    const client = answering('<PendingMaintenanceActions/>');
    await expect(describePendingMaintenance(client)).resolves.toEqual([]);
    client.destroy();
  });

  it('fails DescribePendingMaintenanceActions with IncompleteAnswer, not "nothing pending", when the answer has no <PendingMaintenanceActions>', async () => {
    // Prepare: read as none, the maintenance job would take no snapshot before the maintenance.
    const client = answering('');
    // Act
    const reading = describePendingMaintenance(client);
    // Assess
    await expect(reading).rejects.toBeInstanceOf(CloudApiError);
    await expect(reading).rejects.toMatchObject({
      code: 'IncompleteAnswer',
      message:
        'RDS DescribePendingMaintenanceActions answered without <PendingMaintenanceActions>: the pending maintenance it lists is unknown, not none',
    });
    client.destroy();
  });

  const SHARING = [
    {
      kind: 'rds-instance',
      result: 'DBSnapshotAttributesResult',
      list: 'DBSnapshotAttributes',
      member: 'DBSnapshotAttribute',
    },
    {
      kind: 'aurora-cluster',
      result: 'DBClusterSnapshotAttributesResult',
      list: 'DBClusterSnapshotAttributes',
      member: 'DBClusterSnapshotAttribute',
    },
  ] as const;

  for (const { kind, result, list, member } of SHARING) {
    const restore = (values: string) =>
      `<${result}><${list}><${member}><AttributeName>restore</AttributeName>${values}</${member}></${list}></${result}>`;

    it(`reads the ${kind} restore attribute: <AttributeValues/> as shared with none, its values as the accounts (or all)`, async () => {
      const none = answering(restore('<AttributeValues/>'));
      const some = answering(
        restore(
          '<AttributeValues><AttributeValue>222222222222</AttributeValue><AttributeValue>all</AttributeValue></AttributeValues>',
        ),
      );
      await expect(describeRdsSnapshotSharing(none, kind, 'certctl-premaint-a')).resolves.toEqual([]);
      await expect(describeRdsSnapshotSharing(some, kind, 'certctl-premaint-a')).resolves.toEqual([
        '222222222222',
        'all',
      ]);
      none.destroy();
      some.destroy();
    });

    it.each([
      ['no attribute list', '', `without <${list}>`],
      ['no restore attribute', `<${result}><${list}/></${result}>`, 'without the restore attribute'],
      ['a restore attribute without its values', restore(''), 'without <AttributeValues>'],
    ])(
      `fails the ${kind} sharing read with IncompleteAnswer, not "shared with none", for %s`,
      async (_case, body, says) => {
        const client = answering(body);
        const reading = describeRdsSnapshotSharing(client, kind, 'certctl-premaint-a');
        await expect(reading).rejects.toMatchObject({
          code: 'IncompleteAnswer',
          message: expect.stringContaining(says),
        });
        client.destroy();
      },
    );
  }

  for (const { kind, api, element } of LISTS) {
    it(`reads <${element}/> as no snapshot`, async () => {
      // Prepare
      const client = answering(`<${element}/>`);
      // Act
      const listed = await listManualRdsSnapshots(client, kind);
      // Assess
      expect(listed).toEqual([]);
      client.destroy();
    });

    it(`fails ${api} with IncompleteAnswer naming the API, not an empty list, when the answer has no <${element}>`, async () => {
      // Prepare
      const client = answering('');
      // Act
      const listing = listManualRdsSnapshots(client, kind);
      const describing = describeRdsSnapshots(client, kind, ['certctl-snap-1']);
      // Assess
      for (const reading of [listing, describing]) {
        await expect(reading).rejects.toBeInstanceOf(CloudApiError);
        await expect(reading).rejects.toMatchObject({
          code: 'IncompleteAnswer',
          message: `RDS ${api} answered without <${element}>: the snapshots it lists are unknown, not none`,
        });
      }
      client.destroy();
    });
  }
});

describe('describeRdsSnapshots', () => {
  it.each([
    ['rds-instance', 'db-snapshot-id', 'DBSnapshots'],
    ['aurora-cluster', 'db-cluster-snapshot-id', 'DBClusterSnapshots'],
  ] as const)('asks for %s snapshots in filters of at most 50 identifiers', async (kind, filter, element) => {
    // Prepare: 120 snapshots, each answered with none listed.
    const asked: URLSearchParams[] = [];
    const client = new RDSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          const params = new URLSearchParams(String(request.body ?? ''));
          asked.push(params);
          const action = params.get('Action');
          const body = `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result><${element}/></${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'text/xml' },
              body: Readable.from([Buffer.from(body, 'utf8')]),
            },
          };
        },
      } as never,
    });
    const ids = Array.from({ length: 120 }, (_, index) => `certctl-snap-${index}`);
    // Act
    await describeRdsSnapshots(client, kind, ids);
    // Assess
    const values = asked.map((params) => {
      expect(params.get('Filters.Filter.1.Name')).toBe(filter);
      return [...params.entries()]
        .filter(([name]) => name.startsWith('Filters.Filter.1.Values.Value.'))
        .map(([, value]) => value);
    });
    expect(values.map((chunk) => chunk.length)).toEqual([50, 50, 20]);
    expect(values.flat()).toEqual(ids);
    client.destroy();
  });
});
