import { describe, expect, it } from 'vitest';
import { everyPage } from '../../functions/aws/rds-snapshots.ts';
import { CloudApiError } from '../../functions/core/errors.ts';

describe('everyPage (the snapshot and pending-maintenance listings)', () => {
  it('reads every page in order until a page names no Marker', async () => {
    // Prepare
    const answers: Record<string, { items: number[]; marker: string | undefined }> = {
      first: { items: [1, 2], marker: 'm1' },
      m1: { items: [3], marker: 'm2' },
      m2: { items: [4], marker: undefined },
    };
    const asked: (string | undefined)[] = [];

    // Act
    const items = await everyPage(async (marker) => {
      asked.push(marker);
      return answers[marker ?? 'first'] as { items: number[]; marker: string | undefined };
    });

    // Assess
    expect(items).toEqual([1, 2, 3, 4]);
    expect(asked).toEqual([undefined, 'm1', 'm2']);
  });

  it('fails with RepeatedMarker, not a listing of the same snapshots over and over, when a page names a Marker already sent', async () => {
    // Prepare: after the first page, every page names the same Marker (stopped after 50 pages, so
    // a reader that never notices ends instead of hanging the test).
    let calls = 0;
    const fetch = async (marker: string | undefined) => {
      calls += 1;
      return { items: [calls], marker: calls < 50 ? 'm1' : marker === undefined ? 'm1' : undefined };
    };

    // Act
    const reading = everyPage(fetch);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(CloudApiError);
    await expect(reading).rejects.toMatchObject({ code: 'RepeatedMarker' });
    expect(calls).toBe(2);
  });
});
