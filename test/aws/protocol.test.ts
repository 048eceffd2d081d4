/** AWS answers that are not AWS API answers (an HTML error page) become messages naming endpoint, region and status. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { describeAwsFailure, unresolvedRegion, withUnresolvedRegion } from '../../functions/aws/protocol.ts';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';

const REGION = 'eu-west-1';
const SCOPE = { account: '111122223333', region: REGION };

describe('collectRdsPitrFacts against an endpoint that is not RDS', () => {
  it('names the endpoint, the region and the HTTP status when the answer is an HTML error page', async () => {
    // Prepare
    const server = createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><head><title>502 Bad Gateway</title></head><body><hr></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const rds = new RDSClient({
      region: REGION,
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });

    // Act
    const collecting = collectRdsPitrFacts(rds, SCOPE, parsePolicy({}));

    // Assess
    try {
      await expect(collecting).rejects.toMatchObject({
        code: 'HTTP502',
        message: expect.stringContaining(
          `the endpoint http://127.0.0.1:${port}/ for region eu-west-1 answered HTTP 502 with something that is not an AWS API answer`,
        ),
      });
      await expect(collecting).rejects.not.toThrow(/parse error|mismatched/);
    } finally {
      rds.destroy();
      server.close();
    }
  });
});

describe('a name of a Region that does not resolve', () => {
  const notFound = (hostname: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname,
    });

  it('says the Region may not exist, naming it, for a host of that Region, on the error or its cause', () => {
    // Act
    const direct = describeAwsFailure(
      notFound('sts.eu-west-9.amazonaws.com'),
      'eu-west-9',
      'https://sts.eu-west-9.amazonaws.com',
    );
    const wrapped = withUnresolvedRegion(
      new CloudApiError('RDS DescribeDBInstances failed', 'ENOTFOUND', {
        cause: notFound('rds.eu-west-9.amazonaws.com'),
      }),
      'eu-west-9',
    );

    // Assess
    expect(direct).toEqual({
      code: 'ENOTFOUND',
      message:
        "getaddrinfo ENOTFOUND sts.eu-west-9.amazonaws.com: the Region eu-west-9 may not exist (no address was found for its endpoint; `aws account list-regions` lists an account's Regions), or DNS cannot be reached from here",
    });
    expect(wrapped).toMatchObject({
      code: 'ENOTFOUND',
      message: expect.stringMatching(/^RDS DescribeDBInstances failed: the Region eu-west-9 may not exist/),
    });
    // Said once, however many layers add it.
    expect(withUnresolvedRegion(wrapped, 'eu-west-9')).toBe(wrapped);
  });

  it('says nothing of the Region for a host outside it (an endpoint override) or another error', () => {
    expect(unresolvedRegion(notFound('sim.example.invalid'), 'eu-west-9')).toBeUndefined();
    expect(unresolvedRegion(notFound('rds.eu-west-1.amazonaws.com'), 'eu-west-9')).toBeUndefined();
    expect(
      unresolvedRegion(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        'eu-west-9',
      ),
    ).toBeUndefined();
    const refused = new Error('refused');
    expect(withUnresolvedRegion(refused, 'eu-west-9')).toBe(refused);
  });
});
