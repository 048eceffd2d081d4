/**
 * The publishing step of a job: send a finished report to Security Hub, and log what did not land,
 * once, here. Entry points only render the {@link PublicationOutcome}.
 */
import type { AwsClientFactory } from '../aws/clients.ts';
import type { AuditReport } from '../core/audit.ts';
import {
  BackupGuardError,
  CredentialsError,
  describeError,
  errorCode,
  type TransientKind,
  transientKind,
} from '../core/errors.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { StructuredLogger } from '../core/logging.ts';
import type { Policy } from '../core/policy.ts';
import {
  type FailedImport,
  FindingsImportError,
  type NotSentReason,
  UNREAD_FINDINGS_ID,
} from '../publish/security-hub/errors.ts';
import type {
  LedgerStore,
  PublishAccount,
  PublishResult,
  UnauditedRegion,
} from '../publish/security-hub/index.ts';
import { catalogCheckIds, knownCheckGroups, securityHubReach } from './groups.ts';

/** How a job publishes. */
export interface PublisherDependencies {
  /**
   * The AWS clients that import. Called only when the run publishes, so a job that does not publish
   * never builds it (the GCP job's federated credentials, for one), nor loads it when it may answer
   * a promise (the Cloud Functions import the federation on their first publishing run).
   */
  readonly factory: () => AwsClientFactory | Promise<AwsClientFactory>;
  /**
   * The accounts findings may be imported into, with their roles: `policy.aws.accounts` for the
   * AWS entry points, none for the GCP function (its federated credentials are the central account's).
   */
  readonly accounts: readonly PublishAccount[];
  /** Region for findings without an AWS region of their own (GCP, whole-account findings). */
  readonly homeRegion?: string | undefined;
  /**
   * The import ledger's store; without one every run reads every held finding back from Security Hub.
   * Called only when the run publishes, so a store may load its client then (the Lambdas' S3 client
   * waits in a chunk of its own).
   */
  readonly ledger?: () => LedgerStore | Promise<LedgerStore>;
}

/** Failures quoted in an outcome and its log line; the rest are counted per code. */
export const FAILURE_SAMPLE = 10;

/**
 * Why nothing was published. For a refused federation, `code` is `CredentialsError` and `roleArn` and
 * `stsCode` say which role STS refused and why; no field ever holds a token or a secret.
 */
export interface PublicationFailure {
  readonly code: string;
  readonly message: string;
  readonly roleArn?: string;
  readonly stsCode?: string;
  /** Why no Google ID token was had (`unreachable`, `timeout`, `refused`, `failing`, `not-a-token`). */
  readonly idTokenProblem?: string;
}

/** A publication that reached Security Hub: everything landed (`published`) or some findings did not (`partial`). */
export interface DeliveredPublication {
  readonly status: 'published' | 'partial';
  readonly counts: PublishResult['counts'];
  readonly calls: PublishResult['calls'];
  /** What the import ledger did (destinations planned from it, reconciled in full, written). */
  readonly ledger: PublishResult['ledger'];
  /** How many findings did not land. */
  readonly failedCount: number;
  /** Failed findings per error code (Security Hub's, or the SDK's when a call failed as a whole). */
  readonly failedByCode: Readonly<Record<string, number>>;
  /**
   * The part of `failedByCode` whose import was never sent because the look-up read (the held
   * finding read back by Id to archive or keep alive) failed: the read's error codes (absent: none).
   */
  readonly readBackFailedByCode?: Readonly<Record<string, number>>;
  /**
   * The part of `failedByCode` never sent for a reason of this run ({@link FailedImport.notSent}:
   * no publishing role, the destination not read, a copy not valid ASFF), per reason and code.
   */
  readonly notSentByCode?: Readonly<Partial<Record<NotSentReason, Readonly<Record<string, number>>>>>;
  /** The first {@link FAILURE_SAMPLE} failures. */
  readonly failures: readonly FailedImport[];
  /**
   * How many destinations (account, region) Security Hub could not be read in, so that none of the
   * findings held there was archived or kept alive. Not findings: never counted in `failedCount`.
   */
  readonly unreadCount: number;
  /** The first {@link FAILURE_SAMPLE} of them (`id` {@link UNREAD_FINDINGS_ID}). */
  readonly unread: readonly FailedImport[];
  /**
   * Regions the policy no longer audits that still hold active findings of this product, which the
   * run may not call Security Hub in and so did not archive (publisher.ts {@link UnauditedRegion},
   * logged there too). Not a failure of the run; absent when there are none.
   */
  readonly unaudited?: readonly UnauditedRegion[];
}

/** A publication that delivered nothing. */
export interface FailedPublication {
  readonly status: 'error';
  /** Every finding of the report: none was delivered. */
  readonly failedCount: number;
  readonly error: PublicationFailure;
}

/** What publishing did. */
export type PublicationOutcome = { readonly status: 'disabled' } | DeliveredPublication | FailedPublication;

/**
 * The role, STS code and ID-token problem a refused federation names (functions/gcp/federation.ts
 * FederationError), read by shape so that the AWS functions do not bundle the GCP federation code.
 */
function federationDetails(error: unknown): { roleArn?: string; stsCode?: string; idTokenProblem?: string } {
  if (!(error instanceof CredentialsError)) return {};
  const { roleArn, stsCode, idTokenProblem } = error as CredentialsError & {
    roleArn?: unknown;
    stsCode?: unknown;
    idTokenProblem?: unknown;
  };
  return {
    ...(typeof roleArn === 'string' ? { roleArn } : {}),
    ...(typeof stsCode === 'string' ? { stsCode } : {}),
    ...(typeof idTokenProblem === 'string' ? { idTokenProblem } : {}),
  };
}

/** Publish `report`; never throws for cloud failures, which the outcome reports. */
export async function publishAudit(
  report: AuditReport,
  deps: {
    readonly policy: Policy;
    readonly publisher?: PublisherDependencies;
    readonly logger?: StructuredLogger;
    readonly now?: () => Date;
    /**
     * The check groups the run selected: with every group this version knows among them, the run may
     * retire the findings of a group it does not know (removed or renamed). Absent: it retires none.
     */
    readonly groupsRun?: readonly CheckGroup[];
  },
): Promise<PublicationOutcome> {
  try {
    if (!deps.publisher) throw new Error('publishing was requested but no publisher was configured');
    const factory = await deps.publisher.factory();
    // Resolve the caller's credentials before anything else. A refused federation token or missing
    // credentials then stop the publication with one error that names the cause, instead of one
    // failure per finding that reads like a partial success. The provider caches what it resolves.
    const credentials = factory.credentialsFor();
    if (typeof credentials === 'function') await credentials();
    // Loaded when a run publishes: the Security Hub client is most of a Cloud Function that audits
    // without publishing, and its cold start need not read it (infra/gcp/bundle.ts).
    const { publishToSecurityHub } = await import('../publish/security-hub/publisher.ts');
    const result = await publishToSecurityHub({
      report,
      policy: deps.policy,
      factory,
      accounts: deps.publisher.accounts,
      ...(deps.publisher.homeRegion ? { homeRegion: deps.publisher.homeRegion } : {}),
      ...(deps.publisher.ledger ? { ledger: await deps.publisher.ledger() } : {}),
      catalog: catalogCheckIds(),
      ...(deps.groupsRun
        ? { groups: { catalog: new Set<string>(knownCheckGroups()), run: new Set<string>(deps.groupsRun) } }
        : {}),
      // Where the run's groups publish, which is all a deployed job's role is granted: the publisher
      // reads no region beyond it (for keep-alive, or a whole-account finding its groups never write).
      ...(deps.groupsRun
        ? {
            reach: (account: string, homeRegion: string) =>
              securityHubReach(deps.policy, deps.groupsRun ?? [], account, homeRegion),
          }
        : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
    // A destination whose held findings could not be read is not a finding Security Hub refused:
    // counted and worded apart, so a run that imported every finding does not report one lost.
    const unread = result.failed.filter((failure) => failure.id === UNREAD_FINDINGS_ID);
    const refused = result.failed.filter((failure) => failure.id !== UNREAD_FINDINGS_ID);
    const failedByCode: Record<string, number> = {};
    const readBackFailedByCode: Record<string, number> = {};
    const notSentByCode: Partial<Record<NotSentReason, Record<string, number>>> = {};
    for (const failure of refused) {
      failedByCode[failure.code] = (failedByCode[failure.code] ?? 0) + 1;
      if (failure.readBackFailed)
        readBackFailedByCode[failure.code] = (readBackFailedByCode[failure.code] ?? 0) + 1;
      if (failure.notSent) {
        const byCode = notSentByCode[failure.notSent] ?? {};
        byCode[failure.code] = (byCode[failure.code] ?? 0) + 1;
        notSentByCode[failure.notSent] = byCode;
      }
    }
    const failures = refused.slice(0, FAILURE_SAMPLE);
    if (refused.length > 0) {
      // One log event may hold at most 256 KB and a hub outage fails thousands: counts and a sample.
      deps.logger?.error('findings not imported into Security Hub', {
        failedCount: refused.length,
        failedByCode,
        sample: failures,
      });
    }
    return {
      status: result.failed.length === 0 ? 'published' : 'partial',
      counts: result.counts,
      calls: result.calls,
      ledger: result.ledger,
      failedCount: refused.length,
      failedByCode,
      readBackFailedByCode,
      notSentByCode,
      failures,
      unreadCount: unread.length,
      unread: unread.slice(0, FAILURE_SAMPLE),
      ...(result.unaudited.length > 0 ? { unaudited: result.unaudited } : {}),
    };
  } catch (error) {
    const failed = failedPublication(report, error);
    deps.logger?.error('publishing to Security Hub failed', { error: failed.error });
    return failed;
  }
}

/**
 * A publication of `report` that stopped with `error`. The findings were evaluated and keep their
 * statuses in the report, but none counts as delivered: Security Hub may still show the previous
 * run's statuses, so nothing may read this run as published. Every finding counts as not imported.
 */
export function failedPublication(report: AuditReport, error: unknown): FailedPublication {
  const failure: PublicationFailure = {
    code: errorCode(error),
    message: describeError(error),
    ...federationDetails(error),
  };
  return { status: 'error', failedCount: report.findings.length, error: failure };
}

/**
 * Error codes of findings that did not land that are no refusal by Security Hub, each class with the
 * words the reports say of it. A throttled call, a server error, a call that timed out or lost its
 * connection is what the retries (the SDK's adaptive retry, then the publisher's attempts) could not
 * get past, not a verdict on the findings: which codes those are is the one list of failures that
 * pass on their own (core/errors.ts `TRANSIENT_CODES`, by kind), so a code added there is worded here
 * too, and a kind added there must be given words here. "Until the retries ran out" holds for every
 * kind, unlike a Cloud SQL read's (core/errors.ts callFailure `retried`): this job passes the
 * publisher no retry options, and its importWithRetry sends again every finding whose failure is not
 * permanent, whatever its code (ABORTED, a 501, a code the SDK does not retry), up to its default
 * attempts (4). A failure count the answer named no finding
 * for leaves unknown whether they landed. Any other code (InvalidInput, AccessDeniedException, …) is
 * Security Hub refusing them.
 */
const TRANSIENT_WORDS: Readonly<Record<TransientKind, string>> = {
  throttled: 'Security Hub throttled the imports until the retries ran out',
  serverError: 'Security Hub answered with a server error until the retries ran out',
  unreachable: 'the calls to Security Hub timed out or lost their connection until the retries ran out',
  busy: 'the calls were aborted by a concurrent operation until the retries ran out',
};

/** The code of findings Security Hub counted as failed without naming them (publisher.ts). */
const UNNAMED = {
  code: 'UnnamedFailedFindings',
  words: 'Security Hub counted failed findings it did not name, so whether these landed is unknown',
};

/** The words for a code that is no refusal, or undefined when Security Hub refused them. */
function notRefusedWords(code: string): string | undefined {
  if (code === UNNAMED.code) return UNNAMED.words;
  const kind = transientKind(code);
  return kind === undefined ? undefined : TRANSIENT_WORDS[kind];
}

/** The classes of {@link notRefusedWords}, in the order the reports list them. */
const NOT_REFUSED_ORDER: readonly string[] = [...Object.values(TRANSIENT_WORDS), UNNAMED.words];

/** Why imports were never sent ({@link FailedImport.notSent}), in the words the reports say it. */
const NOT_SENT: readonly { readonly reason: NotSentReason; readonly words: string }[] = [
  {
    reason: 'unread',
    words: 'the findings Security Hub holds in their account and region could not be read',
  },
  { reason: 'noPublishingRole', words: 'their account has no publishing role (add it to aws.accounts)' },
  { reason: 'invalidCopy', words: 'the copy of the held finding would not be valid ASFF' },
];

/**
 * Why the findings of a publication did not all land, in one phrase for the reports: the error that
 * stopped it, or the error codes of the findings that did not land, most frequent first, said as
 * Security Hub refusing them, throttling, failing on its side or not naming them
 * ({@link notRefusedWords}), apart from those never sent because their look-up read failed (Security
 * Hub refused nothing there).
 */
export function notLandedReason(outcome: DeliveredPublication | FailedPublication): string {
  if (outcome.status === 'error') return `publishing failed: ${outcome.error.message}, ${outcome.error.code}`;
  const listed = (byCode: Readonly<Record<string, number>>): string =>
    Object.entries(byCode)
      .filter(([, count]) => count > 0)
      .sort(([a, left], [b, right]) => right - left || a.localeCompare(b))
      .map(([code, count]) => `${code} ${count}`)
      .join(', ');
  const readBack = outcome.readBackFailedByCode ?? {};
  const notSent = outcome.notSentByCode ?? {};
  const unsent = (code: string): number =>
    (readBack[code] ?? 0) + Object.values(notSent).reduce((sum, byCode) => sum + (byCode?.[code] ?? 0), 0);
  const sentByCode = Object.fromEntries(
    Object.entries(outcome.failedByCode).map(([code, count]) => [code, count - unsent(code)]),
  );
  const refused = listed(
    Object.fromEntries(Object.entries(sentByCode).filter(([code]) => !notRefusedWords(code))),
  );
  const notReadBack = listed(readBack);
  const reasons = [
    ...(refused ? [`Security Hub refused them: ${refused}`] : []),
    ...NOT_REFUSED_ORDER.flatMap((words) => {
      const these = listed(
        Object.fromEntries(Object.entries(sentByCode).filter(([code]) => notRefusedWords(code) === words)),
      );
      return these ? [`${words}: ${these}`] : [];
    }),
    ...NOT_SENT.flatMap(({ reason, words }) => {
      const these = listed(notSent[reason] ?? {});
      return these ? [`not sent, as ${words}: ${these}`] : [];
    }),
    ...(notReadBack
      ? [
          `the look-up of the findings to archive or keep alive failed on the read, so they were not sent: ${notReadBack}`,
        ]
      : []),
  ];
  if (outcome.unreadCount > 0) reasons.push(unreadReason(outcome));
  return reasons.join('; ');
}

/** Where Security Hub could not be read: `the findings Security Hub holds in 1111/us-east-1 could not be read (…)`. */
function unreadReason(outcome: DeliveredPublication): string {
  const shown = outcome.unread.slice(0, 3);
  const places = shown.map((failure) => `${failure.account}/${failure.region}`);
  const more = outcome.unreadCount - shown.length;
  const where = more > 0 ? `${places.join(', ')} and ${more} more` : places.join(', ');
  const codes = [...new Set(outcome.unread.map((failure) => failure.code))].join(', ');
  return `the findings Security Hub holds in ${where} could not be read (${codes}): none there was archived or kept alive this run`;
}

/** Nothing was published (federation refused, no credentials, a bug). */
export class PublicationFailedError extends BackupGuardError {
  readonly failure: PublicationFailure;
  constructor(failure: PublicationFailure, findings: number) {
    super(
      `publishing to Security Hub failed, none of the ${findings} findings was imported: ${failure.message} (${failure.code})`,
    );
    this.name = 'PublicationFailedError';
    this.failure = failure;
  }
}

/**
 * Throws when publishing did not land every finding, for entry points that must fail visibly (the
 * Lambda: its Errors alarm and dead-letter queue). The failures were already logged by publishAudit.
 */
export function assertPublicationLanded(outcome: PublicationOutcome): void {
  if (outcome.status === 'partial') {
    throw new FindingsImportError([...outcome.failures, ...outcome.unread], {
      total: outcome.failedCount,
      unread: outcome.unreadCount,
    });
  }
  if (outcome.status === 'error') throw new PublicationFailedError(outcome.error, outcome.failedCount);
}
