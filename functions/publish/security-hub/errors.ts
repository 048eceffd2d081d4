/**
 * Errors of the Security Hub publisher. An invalid ASFF finding is a bug in this product (a check or
 * an adapter produced something Security Hub would reject), so it is thrown, never dropped.
 */
import { BackupGuardError } from '../../core/errors.ts';

/** An ASFF finding breaks a required attribute or a documented limit. */
export class AsffValidationError extends BackupGuardError {
  /** Dotted path of the offending attribute (`Title`, `Resources.0.Region`, `ProductFields`). */
  readonly field: string;
  /** The finding's `Id`, when it has one. */
  readonly findingId: string | undefined;
  constructor(field: string, problem: string, findingId: string | undefined, options?: ErrorOptions) {
    super(
      `ASFF finding ${findingId ?? '(no Id)'} is invalid: ${field} ${problem}. This is a bug in certctl-backup-guard; report it with the check id.`,
      options,
    );
    this.name = 'AsffValidationError';
    this.field = field;
    this.findingId = findingId;
  }
}

/** Publishing cannot start: the configuration does not say where some findings belong. */
export class SecurityHubConfigError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecurityHubConfigError';
  }
}

/**
 * One finding Security Hub did not accept, after every retry (or an archive or keep-alive decided and
 * not made). `id` is `*` for the findings held in a destination that could not be read.
 */
export interface FailedImport {
  readonly id: string;
  /** The AWS account and region it was meant for. */
  readonly account: string;
  readonly region: string;
  /** Security Hub's `ErrorCode` (or the API error's name when the whole call failed). */
  readonly code: string;
  readonly message: string;
  /**
   * Set when the import was never sent: reading the held finding back by Id (to copy it into an
   * archive or keep-alive import) failed, so `code` is the read's error, not Security Hub refusing it.
   */
  readonly readBackFailed?: true;
  /**
   * Set when the import was never sent for a reason of this run, so `code` is no answer of Security
   * Hub to it: `noPublishingRole` (its account is not among the publishing accounts), `unread` (the
   * findings held in its destination could not be read, so nothing is sent there; `code` is the
   * read's error), `invalidCopy` (the copy of a held finding to archive or keep alive would not be
   * valid ASFF).
   */
  readonly notSent?: NotSentReason;
}

/** Why an import was never sent ({@link FailedImport.notSent}). */
export type NotSentReason = 'noPublishingRole' | 'unread' | 'invalidCopy';

/**
 * The `id` of a {@link FailedImport} that stands for every finding held in a destination that could
 * not be read: not a finding that failed, so it is counted apart from them (jobs/publish.ts).
 */
export const UNREAD_FINDINGS_ID = '*';

/**
 * Some findings could not be imported, or the findings held in some destinations could not be read
 * (none there archived or kept alive); the rest landed. Thrown by `assertPublicationLanded`
 * (jobs/publish.ts).
 */
export class FindingsImportError extends BackupGuardError {
  readonly failures: readonly FailedImport[];
  /**
   * @param failures the failed findings and unread destinations ({@link UNREAD_FINDINGS_ID}), or a sample of them
   * @param total how many findings failed in all, when `failures` is a sample
   * @param unread how many destinations could not be read in all, when `failures` is a sample
   */
  constructor(
    failures: readonly FailedImport[],
    options?: ErrorOptions & { readonly total?: number; readonly unread?: number },
  ) {
    const listedUnread = failures.filter((failure) => failure.id === UNREAD_FINDINGS_ID).length;
    const unread = Math.max(options?.unread ?? 0, listedUnread);
    const total = Math.max(options?.total ?? 0, failures.length - listedUnread);
    const sample = failures
      .slice(0, 5)
      .map(
        (failure) =>
          `${failure.id} (${failure.account}/${failure.region}): ${failure.code} ${failure.message}`,
      );
    const more = total + unread > sample.length ? `\n  … and ${total + unread - sample.length} more` : '';
    const unreadText = `Security Hub could not be read in ${unread} ${unread === 1 ? 'account and region' : 'accounts and regions'}`;
    const head =
      total === 0
        ? `${unreadText}; every finding was imported`
        : unread === 0
          ? `${total} finding(s) could not be imported into Security Hub; the others were imported`
          : `${total} finding(s) could not be imported into Security Hub, and ${unreadText}; the other findings were imported`;
    super(
      `${head}:\n  ${sample.join('\n  ')}${more}\nCheck that Security Hub is enabled in those accounts and regions and that the publishing role may call securityhub:BatchImportFindings${unread > 0 ? ' and securityhub:GetFindings' : ''}.`,
      options,
    );
    this.name = 'FindingsImportError';
    this.failures = failures;
  }
}
