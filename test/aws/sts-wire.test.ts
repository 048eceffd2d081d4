/**
 * GetCallerIdentity on the lean request path (functions/aws/sts-wire.ts) against the SDK itself, on
 * the simulator: the same identity both ways, the route readied by the planner's preparation so the
 * run's first call goes out lean, and answers the lean decoder does not take left to the SDK.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { callerAccountId, prepareAwsPlanning } from '../../functions/aws/planner.ts';
import { decodeCallerIdentity, getCallerIdentity } from '../../functions/aws/sts-wire.ts';
import { XmlWireError } from '../../functions/aws/xml-wire.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const ACCOUNT = '123456789012';

let sim: Sim;
beforeAll(async () => {
  sim = await startSim({ scenario: {} });
});
afterAll(async () => {
  await sim.close();
});

function factoryOf(credentials = simCredentials(ACCOUNT)): AwsClientFactory {
  return new AwsClientFactory({ maxAttempts: 2, credentials, endpoint: sim.endpoint });
}

/** Counts what `client` sends, by path: the SDK's requests carry its `amz-sdk-invocation-id`. */
function countingSent(client: STSClient): { lean: number; sdk: number } {
  const sent = { lean: 0, sdk: 0 };
  const handler = client.config.requestHandler as unknown as {
    handle: (request: { headers: Record<string, string> }, options?: unknown) => Promise<unknown>;
  };
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    if (request.headers['amz-sdk-invocation-id']) sent.sdk += 1;
    else sent.lean += 1;
    return handle(request, options);
  };
  return sent;
}

describe('getCallerIdentity', () => {
  it('reads the same identity as the SDK', async () => {
    // Prepare
    const factory = factoryOf();
    try {
      const client = factory.client(STSClient, 'eu-west-1');
      const sent = countingSent(client);
      // Act
      const lean = await getCallerIdentity(client);
      const sdk = await client.send(new GetCallerIdentityCommand({}));
      // Assess
      expect({ UserId: lean.UserId, Account: lean.Account, Arn: lean.Arn }).toEqual({
        UserId: sdk.UserId,
        Account: sdk.Account,
        Arn: sdk.Arn,
      });
      expect(lean.Account).toBe(ACCOUNT);
      expect(lean.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
      expect(sent).toEqual({ lean: 1, sdk: 1 });
    } finally {
      factory.destroy();
    }
  });

  it('is sent lean by the run once the planner has prepared, probing nothing more', async () => {
    // Prepare: the Lambda's init (audit-handler.ts `ready`) prepares the planning of its groups.
    const policy = parsePolicy({ aws: { regions: ['eu-west-1'] } });
    const factory = factoryOf();
    try {
      await prepareAwsPlanning(policy, factory, { groups: ['pitr'] });
      const client = factory.client(STSClient, 'eu-west-1');
      const sent = countingSent(client);
      // Act
      const account = await callerAccountId(factory, ['eu-west-1']);
      // Assess
      expect(account).toBe(ACCOUNT);
      expect(sent).toEqual({ lean: 1, sdk: 0 });
    } finally {
      factory.destroy();
    }
  });

  it('leaves a call without credentials to the SDK, which reports it as before', async () => {
    // Prepare: credentials the client cannot resolve; the probe fails and nothing is sent lean.
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
      endpoint: sim.endpoint,
    });
    try {
      const policy = parsePolicy({ aws: { regions: ['eu-west-1'] } });
      await prepareAwsPlanning(policy, factory, { groups: ['pitr'] });
      // Act / Assess
      await expect(callerAccountId(factory, ['eu-west-1'])).rejects.toThrow(/No AWS credentials found/);
    } finally {
      factory.destroy();
    }
  });
});

describe('decodeCallerIdentity', () => {
  it('refuses a body that is not a GetCallerIdentity answer, so the SDK reads it', () => {
    // Prepare
    const error =
      '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>';
    // Act / Assess
    expect(() => decodeCallerIdentity(error)).toThrow(XmlWireError);
    expect(
      decodeCallerIdentity(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/a&amp;b</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      ),
    ).toEqual({ Arn: 'arn:aws:iam::123456789012:user/a&b', UserId: 'AIDA', Account: '123456789012' });
  });
});
