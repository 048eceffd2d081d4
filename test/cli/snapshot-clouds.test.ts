/**
 * The idempotency table's client of snapshot and prune (functions/cli/snapshot-clouds.ts): where its
 * DynamoDB calls go, read from the client's own configuration, so no call leaves the machine.
 */
import { describe, expect, it } from 'vitest';
import type { CliClouds } from '../../functions/cli/clouds.ts';
import {
  DYNAMODB_ENDPOINT_ENV,
  idempotencyTableInput,
  type SnapshotCommandContext,
} from '../../functions/cli/snapshot-clouds.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { captureIo } from './support.ts';

const policy = parsePolicy({ snapshots: { idempotencyTable: 'certctl-requests' } });

/** The endpoint the table's client sends to, as `http://host:port`; undefined when the SDK picks it. */
async function tableEndpoint(
  values: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
): Promise<string | undefined> {
  const input = idempotencyTableInput(values, captureIo(env));
  input.check(policy);
  const context = {
    policy,
    clouds: { homeRegion: 'eu-west-1' } as CliClouds,
  } as SnapshotCommandContext;
  const table = await input.open(context, { awsCredentials: simCredentials() });
  try {
    const endpoint = await table?.dynamo.config.endpoint?.();
    return endpoint && `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`;
  } finally {
    table?.destroy();
  }
}

describe('the idempotency table of snapshot and prune', () => {
  it('sends its DynamoDB calls to --endpoint-url, as every other AWS call, when no DynamoDB endpoint is named', async () => {
    // Act
    const endpoint = await tableEndpoint({ 'endpoint-url': 'http://127.0.0.1:4566' });

    // Assess: not the real DynamoDB of the caller's region beside a simulated fleet.
    expect(endpoint).toBe('http://127.0.0.1:4566');
  });

  it('sends them to the DynamoDB endpoint, the flag or its variable, over --endpoint-url', async () => {
    // Act
    const flag = await tableEndpoint({
      'endpoint-url': 'http://127.0.0.1:4566',
      'dynamodb-endpoint-url': 'http://127.0.0.1:8000',
    });
    const variable = await tableEndpoint(
      { 'endpoint-url': 'http://127.0.0.1:4566' },
      { [DYNAMODB_ENDPOINT_ENV]: 'http://127.0.0.1:8001' },
    );
    const neither = await tableEndpoint({});

    // Assess
    expect([flag, variable, neither]).toEqual(['http://127.0.0.1:8000', 'http://127.0.0.1:8001', undefined]);
  });
});
