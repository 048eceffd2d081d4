/**
 * Test helpers for the S3 simulator: real `@aws-sdk/client-s3` clients pointed at it path-style
 * (the IP endpoint) or virtual-hosted-style (`http://localhost:<port>`, so the SDK sends
 * `<bucket>.localhost`, which an HTTP agent resolves to 127.0.0.1 without touching DNS).
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { simCredentials } from './accounts.ts';
import type { Sim } from './server.ts';

export const DUMP_FIXTURE = 'test/fixtures/pg-dump/certctl-pg17.dump';
export const NOW = new Date('2026-12-02T12:00:00.000Z');

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves every host name (`certctl-dumps.localhost`) to the loopback simulator. */
export const loopbackAgent = new Agent({
  keepAlive: true,
  lookup: ((_host: string, options: LookupOptions, callback: LookupCallback) => {
    if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as never,
});

export type S3Addressing = 'path' | 'virtual-host';

/** A real S3 client against the simulator, signing for `region` as `account`. */
export function simS3Client(
  sim: Sim,
  region: string,
  addressing: S3Addressing = 'path',
  account?: string,
): S3Client {
  return new S3Client({
    region,
    credentials: simCredentials(account),
    endpoint: addressing === 'path' ? sim.endpoint : `http://localhost:${sim.port}`,
    forcePathStyle: false,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: loopbackAgent }),
  });
}
