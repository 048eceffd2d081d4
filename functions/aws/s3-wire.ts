/**
 * Lean decoding of S3 ListObjectsV2 answers (REST-XML, `<ListBucketResult>` with its `<Contents>`
 * repeated in place) through functions/aws/xml-wire.ts: only what the dumps audit reads of each
 * object (key, size, last modified) and of the page (truncation, continuation token) is decoded,
 * instead of the SDK turning every object into a structure. A 400-dump series is one page of about
 * 140 KB; the SDK's XML parsing was most of the dumps audit's CPU.
 *
 * test/aws/s3-wire.test.ts decodes the same pages both ways (errors and empty pages included).
 */
import type { Pluggable } from '@smithy/types';
import { decodeXmlResult, leanXmlPlugin, type Shape, type StreamCollector } from './xml-wire.ts';

/** The ListObjectsV2 members functions/aws/s3-dumps.ts reads. */
export const LIST_OBJECTS_V2: Shape = {
  Contents: { flattened: { Key: 'string', LastModified: 'timestamp', Size: 'integer' } },
  IsTruncated: 'boolean',
  NextContinuationToken: 'string',
  KeyCount: 'integer',
};

/** The members {@link LIST_OBJECTS_V2} names of a successful ListObjectsV2 answer. */
export function decodeListObjectsV2(xml: string): Record<string, unknown> {
  return decodeXmlResult(xml, ['ListBucketResult'], LIST_OBJECTS_V2);
}

/** The plugin for one ListObjectsV2 command: `collect` is the client's `streamCollector`. */
export function leanListObjectsPlugin(collect: StreamCollector): Pluggable<object, object> {
  return leanXmlPlugin(decodeListObjectsV2, collect);
}
