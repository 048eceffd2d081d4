import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { GcpClientFactory } from '../functions/gcp/clients.ts';
import { startSim } from '../test/sim/server.ts';

if (!isMainThread) {
  const sim = await startSim({
    scenario: { services: { cloudSql: { projects: { 'proj-aaaaa': { instances: [{ name: 'i1' }] } } } } },
    faults: { latencyMs: 50, services: ['cloudSql'] },
  });
  parentPort?.postMessage(sim.endpoint);
} else {
  const w = new Worker(new URL(import.meta.url));
  const endpoint = await new Promise<string>((r) => w.once('message', r));
  const f = new GcpClientFactory({ endpoint });
  await f.instances().list({ project: 'proj-aaaaa' });
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 100 });
  await s.post('Profiler.start');
  let next = 0;
  const N = 3000;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < N) {
        next++;
        await f.instances().getLatestRecoveryTime({ project: 'proj-aaaaa', instance: 'i1' });
      }
    }),
  );
  console.log('ms', performance.now() - t);
  const { profile } = await s.post('Profiler.stop');
  (await import('node:fs')).writeFileSync('/tmp/gcpx/p2.cpuprofile', JSON.stringify(profile));
  await f.close();
  await w.terminate();
}
