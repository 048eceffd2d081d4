import { describe, expect, it } from 'vitest';
import { cloudOf, perCloud, type SnapshotCloud } from '../../../functions/actions/snapshot/backend.ts';

function cloud(provider: 'aws' | 'gcp'): SnapshotCloud {
  return { provider } as unknown as SnapshotCloud;
}

describe('perCloud', () => {
  const clouds = [cloud('aws'), cloud('gcp')];

  it('makes one value per served provider, on first use, and reuses it', () => {
    const made: string[] = [];
    const of = perCloud(clouds, (c) => {
      made.push(c.provider);
      return { provider: c.provider };
    });
    expect(made).toEqual([]);
    const first = of('gcp');
    expect(of('gcp')).toBe(first);
    expect(first).toEqual({ provider: 'gcp' });
    of('aws');
    expect(made).toEqual(['gcp', 'aws']);
  });

  it('answers undefined for a provider no cloud serves, and for a cloud that makes nothing', () => {
    const of = perCloud([cloud('aws')], () => undefined);
    expect(of('gcp')).toBeUndefined();
    expect(of('aws')).toBeUndefined();
    expect(cloudOf([cloud('aws')], 'gcp')).toBeUndefined();
    expect(cloudOf(clouds, 'gcp')?.provider).toBe('gcp');
  });
});
