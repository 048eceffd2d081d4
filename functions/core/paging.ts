/**
 * One guard for every token-paged listing (RDS Markers, S3 continuation tokens, Security Hub and
 * Account NextTokens, Google page tokens): an answer that names a token already sent would have the
 * listing read the same pages until the function timed out (no report at all), or, bounded, pass
 * the pages read so far, duplicates and all, for the whole listing, so that what is missing reads as
 * deleted. Such a listing fails instead, with the code the caller names.
 */
import { CloudApiError } from './errors.ts';

/**
 * A function that takes each page's next token (empty meaning the end) and returns the token to ask
 * with next, or undefined at the end; it throws a {@link CloudApiError} with `code` when the token
 * was sent before. `listing` names the listing in that error (`Cloud SQL instances.list for project
 * p`).
 */
export function pageTokens(
  listing: string,
  code: string,
  tokenName = 'page token',
): (token: string | null | undefined) => string | undefined {
  const sent = new Set<string>();
  return (token) => {
    if (token === undefined || token === null || token === '') return undefined;
    if (sent.has(token)) {
      throw new CloudApiError(
        `${listing} named a ${tokenName} it had already sent, so the listing would never reach its end`,
        code,
      );
    }
    sent.add(token);
    return token;
  };
}

/**
 * The continuation token to ask an S3 `ListObjectsV2` for its next page with, or undefined at the
 * end. S3 always says whether more keys follow (API_ListObjectsV2: `IsTruncated`, "Set to false if
 * all of the results were returned. Set to true if more keys are available to return"); an answer
 * that does not cannot end the listing, or the keys listed so far would read as all of them: it
 * throws a {@link CloudApiError} `IsTruncatedMissing` naming `listing` and the `listed` count.
 * `nextToken` is the listing's {@link pageTokens} guard.
 */
export function s3ContinuationToken(
  page: { readonly IsTruncated?: boolean; readonly NextContinuationToken?: string },
  nextToken: (token: string | undefined) => string | undefined,
  listing: string,
  listed: number,
): string | undefined {
  if (page.IsTruncated === undefined) {
    throw new CloudApiError(
      `${listing} answered without IsTruncated after ${listed} objects, so whether more objects follow could not be told`,
      'IsTruncatedMissing',
    );
  }
  return page.IsTruncated ? nextToken(page.NextContinuationToken) : undefined;
}
