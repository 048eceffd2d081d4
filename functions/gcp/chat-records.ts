/**
 * The GCP chat function's idempotency records in Cloud Storage: one small JSON object per request
 * key, written with generation preconditions (`ifGenerationMatch=0` creates only if absent, and a
 * replace or delete names the generation it read), which is the conditional write DynamoDB gives
 * Powertools on AWS (https://cloud.google.com/storage/docs/request-preconditions). Cloud Storage
 * rather than Firestore: the functions already use its client, the simulator speaks it, it is
 * strongly consistent for these reads after writes, a lifecycle rule (delete after 2 days) expires
 * old records as DynamoDB's TTL does, and it needs no Firestore database in the project.
 */
import type { Bucket } from '@google-cloud/storage';
import type { RequestRecord, RequestRecordStore, StoredRecord } from '../chatops/once.ts';

/** The object prefix of the records (the deployment's lifecycle rule matches it). */
export const CHAT_RECORDS_PREFIX = 'chat-requests/';

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export function cloudStorageRecords(bucket: Bucket, prefix = CHAT_RECORDS_PREFIX): RequestRecordStore {
  const file = (key: string) => bucket.file(`${prefix}${key}.json`);
  const write = async (key: string, record: RequestRecord, ifGenerationMatch: number) => {
    try {
      const target = file(key);
      await target.save(JSON.stringify(record), {
        resumable: false,
        contentType: 'application/json',
        preconditionOpts: { ifGenerationMatch },
      });
      // The upload's answer (the object resource) becomes the file's metadata.
      return String(target.metadata.generation ?? '');
    } catch (error) {
      if (statusOf(error) === 412) return undefined;
      throw error;
    }
  };
  return {
    create: (key, record) => write(key, record, 0),
    async read(key): Promise<StoredRecord | undefined> {
      try {
        const target = file(key);
        const [metadata] = await target.getMetadata();
        const [body] = await target.download({ ifGenerationMatch: Number(metadata.generation) } as never);
        return {
          record: JSON.parse(body.toString('utf8')) as RequestRecord,
          version: String(metadata.generation),
        };
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 412) return undefined;
        throw error;
      }
    },
    async replace(key, record, version) {
      return (await write(key, record, Number(version))) !== undefined;
    },
    async remove(key, version) {
      try {
        await file(key).delete({ ifGenerationMatch: Number(version) });
      } catch (error) {
        if (statusOf(error) !== 404 && statusOf(error) !== 412) throw error;
      }
    },
  };
}
