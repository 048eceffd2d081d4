import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { SqlInstancesServiceClient } from '@google-cloud/sql/build/src/v1/sql_instances_service_client.js';
import { PassThroughClient } from 'google-auth-library';
import { GcpClientFactory } from '../functions/gcp/clients.ts';
import { startSim } from '../test/sim/server.ts';

const L = Number(process.env.L ?? 0);
if (!isMainThread) {
  const sim = await startSim({
    scenario: {
      services: {
        cloudSql: {
          projects: {
            'proj-aaaaa': { instances: Array.from({ length: 50 }, (_, i) => ({ name: `i${i}` })) },
          },
        },
      },
    },
    faults: { latencyMs: L, services: ['cloudSql'] },
  });
  parentPort?.postMessage(sim.endpoint);
} else {
  const w = new Worker(new URL(import.meta.url));
  const endpoint = await new Promise<string>((r) => w.once('message', r));
  const f0 = new GcpClientFactory({ endpoint });
  const u = new URL(endpoint);
  const native = new SqlInstancesServiceClient({
    fallback: true,
    protocol: 'http',
    apiEndpoint: u.hostname,
    port: Number(u.port),
    authClient: new PassThroughClient({ transporterOptions: { fetchImplementation: fetch } }),
  } as never);
  const f = process.env.NATIVE ? { instances: () => native, close: () => native.close() } : f0;
  await f.instances().list({ project: 'proj-aaaaa' });
  for (const conc of [1, 10, 50, 200, 10]) {
    const N = 1000;
    const elu = performance.eventLoopUtilization();
    const t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (next < N) {
          next++;
          await f.instances().getLatestRecoveryTime({ project: 'proj-aaaaa', instance: 'i1' });
        }
      }),
    );
    const ms = performance.now() - t;
    console.log(
      `conc ${conc}: ${N} calls ${ms.toFixed(0)} ms, ${(ms / N).toFixed(2)} ms/call, ideal ${(Math.ceil(N / conc) * L).toFixed(0)} ELU ${performance.eventLoopUtilization(elu).utilization.toFixed(2)}`,
    );
  }
  const t = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (n < 1000) {
        n++;
        await fetch(`${endpoint}/v1/projects/proj-aaaaa/instances/i1/getLatestRecoveryTime`).then((r) =>
          r.text(),
        );
      }
    }),
  );
  console.log('raw fetch x1000 conc10', (performance.now() - t).toFixed(0), 'ms');
  await f.close();
  await w.terminate();
}
