/**
 * The throttling answer of the storage and database services the PITR and dumps audits read (RDS,
 * S3, Cloud SQL, Cloud Storage): each service's own by default, as the real one throttles, and the
 * code `faults.throttleCode` names instead, with the HTTP status that code comes with (one table in
 * ./faults.ts for every service).
 */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { simS3Client } from './s3-support.ts';
import { type Sim, startSim } from './server.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: { regions: [{ name: 'eu-west-1' }] } });
});

afterEach(() => {
  sim.setFaults({});
  sim.resetStats();
});

afterAll(async () => {
  await sim.close();
});

/** How one throttled call was answered: its HTTP status and error code. */
interface Answer {
  readonly status: number | undefined;
  readonly code: string | undefined;
}

async function awsAnswer(call: () => Promise<unknown>): Promise<Answer> {
  try {
    await call();
  } catch (error) {
    const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { status: failure.$metadata?.httpStatusCode, code: failure.name };
  }
  throw new Error('expected the call to be throttled');
}

/** The status and Google code (`error.status`, else `errors[0].reason`) of a Google REST call. */
async function googleAnswer(path: string): Promise<Answer> {
  const response = await fetch(`${sim.endpoint}${path}`);
  const body = (await response.json()) as { error?: { status?: string; errors?: { reason?: string }[] } };
  return { status: response.status, code: body.error?.status ?? body.error?.errors?.[0]?.reason };
}

const SERVICES = {
  rds: async () => {
    const client = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    try {
      return await awsAnswer(() => client.send(new DescribeDBInstancesCommand({})));
    } finally {
      client.destroy();
    }
  },
  s3: async () => {
    const client = simS3Client(sim, 'eu-west-1');
    try {
      return await awsAnswer(() => client.send(new ListObjectsV2Command({ Bucket: 'certctl-dumps' })));
    } finally {
      client.destroy();
    }
  },
  cloudSql: () => googleAnswer('/v1/projects/certctl-prod/instances'),
  gcs: () => googleAnswer('/storage/v1/b/certctl-dumps-gcp/o'),
} as const;

describe('throttling of the PITR and dumps services', () => {
  it.each([
    ['rds', 400, 'Throttling'],
    ['s3', 503, 'SlowDown'],
    ['cloudSql', 429, 'RESOURCE_EXHAUSTED'],
    ['gcs', 429, 'rateLimitExceeded'],
  ] as const)('answers %s throttling as the service does (%i %s)', async (service, status, code) => {
    // Prepare
    sim.setFaults({ throttleRate: 1, services: [service] });

    // Act
    const answer = await SERVICES[service]();

    // Assess
    expect(answer).toEqual({ status, code });
    expect(sim.stats().faults.throttled).toBe(1);
  });

  it('names the rate limit in the Cloud SQL throttling answer, as Google does', async () => {
    // Prepare: Cloud SQL Admin's 429 carries a google.rpc.ErrorInfo of reason RATE_LIMIT_EXCEEDED
    // and errors[0].reason rateLimitExceeded (a real answer of sqladmin.googleapis.com:
    // https://github.com/GoogleCloudPlatform/cloud-sql-jdbc-socket-factory/issues/979).
    sim.setFaults({ throttleRate: 1, services: ['cloudSql'] });

    // Act
    const response = await fetch(`${sim.endpoint}/v1/projects/certctl-prod/instances`);
    const { error } = (await response.json()) as {
      error: {
        errors?: { reason?: string }[];
        details?: { '@type'?: string; reason?: string; domain?: string }[];
      };
    };

    // Assess
    expect(response.status).toBe(429);
    expect(error.errors?.[0]?.reason).toBe('rateLimitExceeded');
    expect(error.details).toContainEqual(
      expect.objectContaining({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'googleapis.com',
      }),
    );
  });

  it.each([
    ['rds', 'TooManyRequestsException', 429],
    ['rds', 'ServiceUnavailable', 503],
    ['s3', 'InternalError', 500],
    ['s3', 'RequestTimeout', 400],
    ['cloudSql', 'UNAVAILABLE', 503],
    ['cloudSql', 'ABORTED', 409],
    ['gcs', 'backendError', 503],
    ['gcs', 'RESOURCE_EXHAUSTED', 429],
  ] as const)('answers %s with the throttleCode %s and its status %i', async (service, code, status) => {
    // Prepare
    sim.setFaults({ throttleRate: 1, throttleCode: code, services: [service] });

    // Act
    const answer = await SERVICES[service]();

    // Assess
    expect(answer).toEqual({ status, code });
  });
});
