import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type STSServiceException,
} from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountOfAccessKey, simCredentials } from './accounts.ts';
import { mintIdToken } from './jwt.ts';
import type { ScenarioInput } from './scenario.ts';
import { type Sim, startSim } from './server.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const MEMBER = '222222222222';
const AUDIT_ROLE = `arn:aws:iam::${MEMBER}:role/certctl-backup-guard-audit`;
const GCP_ROLE = `arn:aws:iam::${MEMBER}:role/certctl-backup-guard-gcp`;
const SERVICE_ACCOUNT_ID = '104753918625839485720';
const AUDIENCE = 'https://certctl-backup-guard.example.com/aws';

const scenario: ScenarioInput = {
  accounts: [
    { id: '111111111111' },
    {
      id: MEMBER,
      assumableRoles: [
        { name: 'certctl-backup-guard-audit' },
        { name: 'only-from-333', trustedAccounts: ['333333333333'] },
      ],
      webIdentityTrusts: [
        { role: 'certctl-backup-guard-gcp', oaud: AUDIENCE, serviceAccountId: SERVICE_ACCOUNT_ID },
      ],
    },
  ],
  regions: [{ name: 'eu-west-1' }],
  services: { rds: { instances: [{ id: 'member-db', account: MEMBER, region: 'eu-west-1' }] } },
};

async function rejection(promise: Promise<unknown>): Promise<STSServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as STSServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('simulated STS against the real STSClient', () => {
  let sim: Sim;
  let sts: STSClient;

  beforeAll(async () => {
    sim = await startSim({ scenario, clock: () => NOW });
    sts = new STSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    sts.destroy();
    await sim.close();
  });

  it('names the base user and account when GetCallerIdentity is signed with base credentials', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity).toMatchObject({
      Account: '111111111111',
      Arn: 'arn:aws:iam::111111111111:user/certctl-operator',
    });
  });

  it('issues credentials of the role account when the role is assumable', async () => {
    const answer = await sts.send(
      new AssumeRoleCommand({ RoleArn: AUDIT_ROLE, RoleSessionName: 'certctl-backup-guard' }),
    );
    const assumed = new STSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: {
        accessKeyId: answer.Credentials?.AccessKeyId ?? '',
        secretAccessKey: answer.Credentials?.SecretAccessKey ?? '',
        sessionToken: answer.Credentials?.SessionToken ?? '',
      },
    });
    const identity = await assumed.send(new GetCallerIdentityCommand({}));
    assumed.destroy();

    expect(accountOfAccessKey(answer.Credentials?.AccessKeyId)).toBe(MEMBER);
    expect(answer.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(answer.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/certctl-backup-guard-audit/certctl-backup-guard`,
    );
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/certctl-backup-guard-audit/certctl-backup-guard`,
    });
  });

  it('lets RDS calls with assumed credentials see the member account fleet when the SDK assumes the role', async () => {
    const rds = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: AUDIT_ROLE, RoleSessionName: 'audit' },
        masterCredentials: simCredentials(),
        clientConfig: { region: 'eu-west-1', endpoint: sim.endpoint },
      }),
    });

    const answer = await rds.send(new DescribeDBInstancesCommand({}));
    rds.destroy();

    expect(answer.DBInstances?.map((instance) => instance.DBInstanceArn)).toEqual([
      `arn:aws:rds:eu-west-1:${MEMBER}:db:member-db`,
    ]);
    expect(sim.stats().byOperation['sts:AssumeRole']).toBeGreaterThanOrEqual(1);
  });

  it('refuses with AccessDenied when the role is not listed as assumable', async () => {
    const error = await rejection(
      sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/admin`, RoleSessionName: 'x1' }),
      ),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:iam::111111111111:user/certctl-operator is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/admin`,
    );
  });

  it('refuses with AccessDenied when the role account is not in the scenario', async () => {
    const error = await rejection(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::999999999999:role/certctl-backup-guard-audit',
          RoleSessionName: 'x1',
        }),
      ),
    );

    expect(error.name).toBe('AccessDenied');
  });

  it('refuses with AccessDenied when the role does not trust the caller account', async () => {
    const error = await rejection(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${MEMBER}:role/only-from-333`,
          RoleSessionName: 'x1',
        }),
      ),
    );

    expect(error.name).toBe('AccessDenied');
  });

  it('refuses with ValidationError when the session name breaks the STS pattern', async () => {
    const error = await rejection(
      sts.send(new AssumeRoleCommand({ RoleArn: AUDIT_ROLE, RoleSessionName: 'has space' })),
    );

    expect(error.name).toBe('ValidationError');
  });

  it('federates a Google service account when the token matches the role trust', async () => {
    const token = mintIdToken({ aud: AUDIENCE, sub: SERVICE_ACCOUNT_ID }, { now: NOW });
    const unsigned = new STSClient({ region: 'eu-west-1', endpoint: sim.endpoint, maxAttempts: 1 });

    const answer = await unsigned.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: GCP_ROLE,
        RoleSessionName: 'gcp-audit',
        WebIdentityToken: token,
      }),
    );
    unsigned.destroy();

    expect(accountOfAccessKey(answer.Credentials?.AccessKeyId)).toBe(MEMBER);
    expect(answer).toMatchObject({
      SubjectFromWebIdentityToken: SERVICE_ACCOUNT_ID,
      Provider: 'accounts.google.com',
      Audience: SERVICE_ACCOUNT_ID,
      AssumedRoleUser: { Arn: `arn:aws:sts::${MEMBER}:assumed-role/certctl-backup-guard-gcp/gcp-audit` },
    });
  });

  it('refuses with AccessDenied when the token audience is not the pinned oaud', async () => {
    const token = mintIdToken(
      { aud: 'https://someone-else.example.com', sub: SERVICE_ACCOUNT_ID },
      { now: NOW },
    );

    const error = await rejection(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: GCP_ROLE,
          RoleSessionName: 'gcp',
          WebIdentityToken: token,
        }),
      ),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toBe('Not authorized to perform sts:AssumeRoleWithWebIdentity');
  });

  it('refuses with AccessDenied when the token comes from another service account', async () => {
    const token = mintIdToken({ aud: AUDIENCE, sub: '999999999999999999999' }, { now: NOW });

    const error = await rejection(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: GCP_ROLE,
          RoleSessionName: 'gcp',
          WebIdentityToken: token,
        }),
      ),
    );

    expect(error.name).toBe('AccessDenied');
  });

  it('refuses with ExpiredTokenException when the token expired on the simulator clock', async () => {
    const token = mintIdToken(
      { aud: AUDIENCE, sub: SERVICE_ACCOUNT_ID },
      { now: new Date(NOW.getTime() - 2 * 3_600_000) },
    );

    const error = await rejection(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: GCP_ROLE,
          RoleSessionName: 'gcp',
          WebIdentityToken: token,
        }),
      ),
    );

    expect(error.name).toBe('ExpiredTokenException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses with InvalidIdentityToken when the token signature was tampered with', async () => {
    const token = mintIdToken({ aud: AUDIENCE, sub: SERVICE_ACCOUNT_ID }, { now: NOW });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({
        iss: 'https://accounts.google.com',
        aud: AUDIENCE,
        azp: SERVICE_ACCOUNT_ID,
        sub: SERVICE_ACCOUNT_ID,
        iat: 1,
        exp: 9e9,
      }),
    ).toString('base64url');

    const error = await rejection(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: GCP_ROLE,
          RoleSessionName: 'gcp',
          WebIdentityToken: `${header}.${forgedPayload}.${signature}`,
        }),
      ),
    );

    expect(error.name).toBe('InvalidIdentityTokenException');
    expect(error.message).toContain('signature');
  });

  it('refuses with MissingAuthenticationToken when GetCallerIdentity is unsigned', async () => {
    const response = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
