/**
 * The last published audit as chat's `status` reports it, read from the import ledgers in S3 (the scheduled
 * audits write them when they publish): loaded on demand by the chat action, so its cold start reads
 * neither the S3 client nor the ledger decoding.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ChatStatus } from '../chatops/actions.ts';
import { describeError } from '../core/errors.ts';
import { partitionOf, productArn } from '../publish/security-hub/asff.ts';
import { decodeLedger, type Ledger, ledgerSummary } from '../publish/security-hub/ledger.ts';
import { listLedgerDestinations, S3LedgerStore } from './ledger-store.ts';

/**
 * The last published audit as the import ledgers record it (functions/publish/security-hub/ledger.ts): what
 * the scheduled audits last published to Security Hub, by compliance status, and when. A ledger that
 * cannot be read or decoded is left out and said so; none at all, or a listing of them that failed, is "not
 * available", never a pass.
 */
export async function ledgerLastAudit(client: S3Client, bucket: string): Promise<ChatStatus['lastAudit']> {
  const store = new S3LedgerStore(client, bucket);
  let destinations: Awaited<ReturnType<typeof listLedgerDestinations>>;
  try {
    destinations = await listLedgerDestinations(client, bucket);
  } catch (error) {
    // A listing that failed, or may have left ledgers out, has no last audit to count: the ledgers
    // listed so far are not the whole of it.
    return { unavailable: `the import ledgers could not be listed: ${describeError(error)}` };
  }
  const ledgers: Ledger[] = [];
  const unreadable: string[] = [];
  for (const destination of destinations) {
    try {
      const stored = await store.read(destination);
      if (!stored) continue;
      const partition = partitionOf(destination.region);
      ledgers.push(
        decodeLedger(stored.body, { ...destination, productArn: productArn({ ...destination, partition }) }),
      );
    } catch (error) {
      unreadable.push(`${destination.account}/${destination.region} (${describeError(error)})`);
    }
  }
  const summary = ledgerSummary(ledgers);
  if (summary.at === undefined) {
    // Ledgers that exist but cannot be read are of audits that did publish: what they hold is
    // unknown, and "no audit has published yet" would say something not proven.
    if (unreadable.length > 0) {
      return {
        unavailable: `${ledgers.length > 0 ? 'the import ledgers read hold no active finding, and these could not be read' : 'no import ledger could be read'}: ${unreadable.join(', ')}`,
      };
    }
    if (summary.unconfirmed > 0) {
      return {
        unavailable: `the import ledgers hold only imports not known to have landed (${summary.unconfirmed})`,
      };
    }
    return { unavailable: 'no audit has published yet' };
  }
  // `at` is the newest change any destination published; one whose audit stopped publishing long
  // ago is named, so its old counts are not read as current.
  const { oldest } = summary;
  const oldestText = oldest
    ? `; oldest: ${oldest.destination}, ${oldest.at ? `last published ${oldest.at}` : 'no active finding'}`
    : '';
  // Findings kept alive carry an older run's status, and an import not known to have landed may not
  // be what Security Hub shows: counted apart, never among the statuses as evaluated.
  return {
    at: summary.at,
    counts: {
      ...summary.counts,
      ...(summary.keptAlive > 0 ? { 'kept alive, not re-evaluated': summary.keptAlive } : {}),
      ...(summary.unconfirmed > 0 ? { 'last import unconfirmed': summary.unconfirmed } : {}),
    },
    source: `as published to Security Hub, ${summary.destinations.length} account/region${summary.destinations.length === 1 ? '' : 's'}${oldestText}${unreadable.length > 0 ? `; not read: ${unreadable.join(', ')}` : ''}`,
  };
}
