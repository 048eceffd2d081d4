/**
 * Errors a chat entry point can answer with. Like middy's http-errors, each carries the HTTP status
 * and whether its message may be shown to the caller (`expose`): 4xx messages say what was wrong,
 * 5xx details stay in the logs and the caller sees a generic line.
 */
import { BackupGuardError } from '../core/errors.ts';

export class ChatError extends BackupGuardError {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** Whether the message may reach the caller (Slack, Amazon Q). Never true for a 5xx. */
  readonly expose: boolean;
  constructor(status: number, message: string, options?: ErrorOptions & { readonly expose?: boolean }) {
    super(message, options);
    this.name = 'ChatError';
    this.status = status;
    this.expose = status < 500 && (options?.expose ?? true);
  }
}

/** The request is not from Slack, or not from now: a forged, altered, stale or replayed request. */
export class SignatureError extends ChatError {
  /** Why, for the log (the caller only learns that the request was refused). */
  readonly reason: 'missing-header' | 'malformed' | 'stale' | 'mismatch';
  constructor(reason: SignatureError['reason'], message: string) {
    super(401, message, { expose: false });
    this.name = 'SignatureError';
    this.reason = reason;
  }
}

/** The caller may not run that command here. */
export class NotAuthorizedError extends ChatError {
  /** What the operator needs and the caller must not see (the configuration it was held against), for the log. */
  readonly detail: string | undefined;
  constructor(message: string, detail?: string) {
    super(403, message);
    this.name = 'NotAuthorizedError';
    this.detail = detail;
  }
}

/** The command text does not parse; the message is the help the user needs. */
export class CommandError extends ChatError {
  constructor(message: string) {
    super(400, message);
    this.name = 'CommandError';
  }
}

/**
 * The accepted command could not be handed to the function that runs it, by the acknowledgement's
 * deadline. Its message (the cause, for the logs) is never shown; the caller is told only what is
 * known of the outcome: `not-started` when every attempt was refused by the service (nothing was
 * queued), `unknown` when an attempt went unanswered (it may have been queued, and may run).
 */
export class HandOffError extends ChatError {
  readonly outcome: 'not-started' | 'unknown';
  constructor(outcome: HandOffError['outcome'], message: string, options?: ErrorOptions) {
    super(503, message, { ...options, expose: false });
    this.name = 'HandOffError';
    this.outcome = outcome;
  }
}

/** What the caller is told when the hand-off failed: what is known of the outcome, nothing more. */
const HAND_OFF_MESSAGES: Readonly<Record<HandOffError['outcome'], string>> = {
  'not-started':
    'The command did not start: backup-guard could not hand it to the function that runs it, so nothing was snapshotted or checked. Try again in a minute; the details are in the backup-guard logs.',
  unknown:
    'backup-guard could not confirm in time that the command was handed to the function that runs it, so it may or may not run. If it runs, its progress and result are posted here; if nothing is posted within a few minutes, ask again (the same ticket for the same databases never snapshots twice).',
};

/** What the caller sees for an error: its own message when exposable, else a generic line. */
export function publicMessage(error: unknown): string {
  if (error instanceof ChatError && error.expose) return error.message;
  if (error instanceof HandOffError) return HAND_OFF_MESSAGES[error.outcome];
  if (error instanceof SignatureError) return 'Request refused.';
  return 'Something went wrong on our side; the details are in the backup-guard logs.';
}
