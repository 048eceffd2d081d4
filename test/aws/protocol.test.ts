/** AWS answers that are not AWS API answers (an HTML error page) become messages naming endpoint, region and status. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
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
