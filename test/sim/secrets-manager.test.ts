/**
 * The simulated Secrets Manager answers for a secret created without a value (no version) as the
 * service does, through the real SDK client.
 */
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { type Sim, startSim } from './server.ts';
import { secretsManagerSectionSchema } from './services/secrets-manager.ts';

let sim: Sim;
let client: SecretsManagerClient;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      regions: [{ name: 'eu-west-1' }],
      services: {
        secretsManager: {
          secrets: [
            { name: 'certctl/empty', region: 'eu-west-1', createdWithoutValue: true },
            { name: 'certctl/full', region: 'eu-west-1', value: 'v' },
            {
              name: 'certctl/replicated',
              region: 'eu-west-1',
              value: 'v',
              replicas: [
                { region: 'us-east-1' },
                { region: 'us-west-2', status: 'Failed' },
                { region: 'eu-central-1', status: 'InProgress' },
                { region: 'ap-south-1', statusSent: false },
              ],
            },
          ],
        },
      },
    },
  });
  client = new SecretsManagerClient({
    region: 'eu-west-1',
    endpoint: sim.endpoint,
    credentials: simCredentials(),
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await sim.close();
});

describe('simulated Secrets Manager, a secret created without a value', () => {
  it('leaves the version map out of DescribeSecret and ListSecrets, and keeps it for a secret with a value', async () => {
    // Act
    const empty = await client.send(new DescribeSecretCommand({ SecretId: 'certctl/empty' }));
    const full = await client.send(new DescribeSecretCommand({ SecretId: 'certctl/full' }));
    const listed = await client.send(new ListSecretsCommand({}));

    // Assess
    expect(empty.Name).toBe('certctl/empty');
    expect(empty.VersionIdsToStages).toBeUndefined();
    expect(Object.values(full.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
    const byName = new Map(listed.SecretList?.map((entry) => [entry.Name, entry]));
    expect(byName.get('certctl/empty')?.SecretVersionsToStages).toBeUndefined();
    expect(byName.get('certctl/full')?.SecretVersionsToStages).toBeDefined();
  });

  it('answers GetSecretValue with ResourceNotFoundException for the AWSCURRENT label, and BatchGetSecretValue with an Errors entry', async () => {
    // Act
    const single = await client
      .send(new GetSecretValueCommand({ SecretId: 'certctl/empty' }))
      .catch((e) => e);
    const batch = await client.send(
      new BatchGetSecretValueCommand({ SecretIdList: ['certctl/empty', 'certctl/full'] }),
    );

    // Assess
    expect(single.name).toBe('ResourceNotFoundException');
    expect(single.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    expect(batch.SecretValues?.map((entry) => entry.Name)).toEqual(['certctl/full']);
    expect(batch.Errors).toEqual([
      {
        SecretId: 'certctl/empty',
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      },
    ]);
  });

  it('refuses a scenario secret that is created without a value and given one', () => {
    // Act
    const parsed = secretsManagerSectionSchema.safeParse({
      secrets: [{ name: 'certctl/x', region: 'eu-west-1', createdWithoutValue: true, value: 'v' }],
    });

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(
      'a secret createdWithoutValue has no value: leave out `value`',
    );
  });
});

describe('simulated Secrets Manager, a replicated secret', () => {
  it("says each replica's status, with a StatusMessage only where it has one, and none where the scenario sends no Status (both optional in ReplicationStatusType)", async () => {
    // Act
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'certctl/replicated' }));

    // Assess: a Failed replica the scenario gives no message for has none (not an InProgress message).
    // Each replica on its region's default key names it as the API reference's examples do.
    const key = 'alias/aws/secretsmanager';
    expect(described.ReplicationStatus).toEqual([
      { Region: 'us-east-1', KmsKeyId: key, Status: 'InSync', StatusMessage: 'Replication succeeded' },
      { Region: 'us-west-2', KmsKeyId: key, Status: 'Failed' },
      {
        Region: 'eu-central-1',
        KmsKeyId: key,
        Status: 'InProgress',
        StatusMessage: 'Replication in progress',
      },
      // `statusSent: false`: an entry without Status (nor StatusMessage), as the type allows.
      { Region: 'ap-south-1', KmsKeyId: key },
    ]);
  });
});
