import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../functions/core/errors.ts';
import { pageTokens } from '../../functions/core/paging.ts';

describe('pageTokens', () => {
  it('passes new tokens through and reads an empty, null or absent token as the end', () => {
    // Arrange
    const next = pageTokens('instances.list for project p', 'RepeatedPageToken');

    // Act + Assess
    expect(next('a')).toBe('a');
    expect(next('b')).toBe('b');
    expect(next('')).toBeUndefined();
    expect(next(null)).toBeUndefined();
    expect(next(undefined)).toBeUndefined();
  });

  it('fails a cycle of tokens, not only a token repeated at once, naming the listing and the code', () => {
    // Arrange: a -> b -> a would page forever.
    const next = pageTokens('GetFindings', 'RepeatedNextToken', 'NextToken');
    next('a');
    next('b');

    // Act
    const repeat = () => next('a');

    // Assess
    expect(repeat).toThrow(CloudApiError);
    expect(repeat).toThrow(
      'GetFindings named a NextToken it had already sent, so the listing would never reach its end',
    );
    try {
      repeat();
    } catch (error) {
      expect((error as CloudApiError).code).toBe('RepeatedNextToken');
    }
  });

  it('keeps one listing apart from another', () => {
    // Arrange
    const first = pageTokens('one', 'RepeatedMarker', 'Marker');
    const second = pageTokens('two', 'RepeatedMarker', 'Marker');
    first('m1');

    // Act + Assess
    expect(second('m1')).toBe('m1');
  });
});
