import { describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.ts';
import { loadScenario, parseScenario } from './scenario.ts';
import { type Sim, startSim } from './server.ts';
import type { GcsSim } from './services/gcs.ts';
import type { S3Sim } from './services/s3.ts';

describe('dumps scenario file', () => {
  it('seeds S3 and Cloud Storage buckets from fixtures and series when loaded', async () => {
    // Prepare
    const scenario = await loadScenario('test/sim/scenarios/dumps.yaml');
    let sim: Sim | undefined;
    try {
      // Act
      sim = await startSim({ scenario });
      const legacy = sim.service<S3Sim>('s3').objects('certctl-dumps-legacy');
      // Assess
      expect(sim.service<S3Sim>('s3').objects('certctl-dumps')).toHaveLength(35);
      expect(legacy.map((object) => [object.key, object.body.length])).toEqual([
        ['prod/certctl-0.dump', 6365],
        ['prod/certctl-1.dump', 6365],
        ['prod/certctl-2.dump', 6365],
        ['prod/certctl-3.dump', 6365],
        ['prod/certctl-4.dump', 6365],
        ['prod/certctl-5.dump', 6365],
        ['prod/certctl-6.dump', 1024],
        ['prod/schema.sql', 4096],
      ]);
      expect(sim.service<GcsSim>('gcs').name).toBe('gcs');
    } finally {
      await sim?.close();
    }
  });

  it('names the field when an object gives both a fixture and a body', () => {
    const parse = () =>
      parseScenario({
        services: {
          gcs: { buckets: [{ name: 'certctl-dumps', objects: [{ key: 'a', body: 'x', fixture: 'y' }] }] },
        },
      });
    expect(parse).toThrow(ScenarioError);
    expect(parse).toThrow(/services\.gcs\.buckets\.0\.objects\.0: give exactly one of fixture or body/);
  });
});
