import {
  AccountClient,
  type AccountServiceException,
  ListRegionsCommand,
  paginateListRegions,
} from '@aws-sdk/client-account';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { type Sim, startSim } from './server.ts';

describe('simulated Account API against the real AccountClient', () => {
  let sim: Sim;
  let account: AccountClient;

  beforeAll(async () => {
    sim = await startSim({
      scenario: {
        regions: [
          { name: 'us-east-1', optStatus: 'ENABLED_BY_DEFAULT' },
          { name: 'eu-west-1', optStatus: 'ENABLED_BY_DEFAULT' },
          { name: 'eu-south-1', optStatus: 'ENABLED' },
          { name: 'ap-east-1', optStatus: 'DISABLED' },
        ],
      },
    });
    account = new AccountClient({
      region: 'us-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    account.destroy();
    await sim.close();
  });

  it('lists every scenario region with its opt-in status when no filter is given', async () => {
    const answer = await account.send(new ListRegionsCommand({}));

    expect(answer.Regions).toEqual([
      { RegionName: 'ap-east-1', RegionOptStatus: 'DISABLED' },
      { RegionName: 'eu-south-1', RegionOptStatus: 'ENABLED' },
      { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
      { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
    ]);
    expect(answer.NextToken).toBeUndefined();
  });

  it('lists only enabled regions when RegionOptStatusContains asks for them', async () => {
    const answer = await account.send(
      new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }),
    );

    expect(answer.Regions?.map((region) => region.RegionName)).toEqual([
      'eu-south-1',
      'eu-west-1',
      'us-east-1',
    ]);
  });

  it('pages with NextToken when MaxResults is smaller than the region count', async () => {
    const pages: string[][] = [];
    for await (const page of paginateListRegions({ client: account, pageSize: 3 }, {})) {
      pages.push((page.Regions ?? []).map((region) => region.RegionName ?? ''));
    }

    expect(pages).toEqual([['ap-east-1', 'eu-south-1', 'eu-west-1'], ['us-east-1']]);
  });

  it('fails with ValidationException when MaxResults is above 50', async () => {
    let error: AccountServiceException | undefined;
    try {
      await account.send(new ListRegionsCommand({ MaxResults: 51 }));
    } catch (caught) {
      error = caught as AccountServiceException;
    }

    expect(error?.name).toBe('ValidationException');
    expect(error?.$metadata.httpStatusCode).toBe(400);
  });

  it('counts the call as account:ListRegions when stats are read', async () => {
    sim.resetStats();

    await account.send(new ListRegionsCommand({}));

    expect(sim.stats().byOperation).toEqual({ 'account:ListRegions': 1 });
  });
});
