/**
 * A fake {@link ChatActions} for the chat side's tests: snapshots "taken" in memory, once per
 * request key (the real adapter's idempotency, in miniature), with progress events and a count of
 * the snapshots started, so a test can assert that a retry started none.
 */
import type {
  ChatActions,
  ChatReadiness,
  ChatSnapshotProgress,
  ChatSnapshotRequest,
  ChatSnapshotResult,
  ChatStatus,
} from '../../functions/chatops/actions.ts';

export interface FakeActions extends ChatActions {
  /** Snapshot requests that really ran (not repeats). */
  readonly started: ChatSnapshotRequest[];
  /** Make the next snapshot of `target` fail with this message. */
  failTarget(target: string, message: string): void;
  /** Make the next call of `action` throw this error. */
  throwOn(action: 'snapshot' | 'readiness' | 'status', error: Error): void;
}

export function fakeActions(options: { readonly delayMs?: number } = {}): FakeActions {
  const started: ChatSnapshotRequest[] = [];
  const results = new Map<string, Promise<ChatSnapshotResult>>();
  const failing = new Map<string, string>();
  const throwing = new Map<string, Error>();
  const raise = (action: string) => {
    const error = throwing.get(action);
    if (error) {
      throwing.delete(action);
      throw error;
    }
  };
  const take = async (
    request: ChatSnapshotRequest,
    onProgress: (progress: ChatSnapshotProgress) => void,
  ): Promise<ChatSnapshotResult> => {
    started.push(request);
    const names = request.targets.length > 0 ? request.targets : ['certctl-prod-db', 'certctl-ra-db'];
    for (const name of names) onProgress({ target: name, stage: 'creating', message: `creating ${name}` });
    await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
    for (const name of names) onProgress({ target: name, stage: 'done', message: `${name} available` });
    return {
      firstRun: true,
      startedAt: '2026-12-02T10:00:00.000Z',
      targets: names.map((name) => {
        const error = failing.get(name);
        return error
          ? { name, location: 'aws/111111111111/eu-west-1', outcome: 'error' as const, error }
          : {
              name,
              location: 'aws/111111111111/eu-west-1',
              outcome: 'available' as const,
              snapshotId: `certctl-premaint-${name}-0123456789`,
            };
      }),
      problems: [],
    };
  };
  return {
    started,
    failTarget: (target, message) => failing.set(target, message),
    throwOn: (action, error) => throwing.set(action, error),
    async snapshot(request, onProgress) {
      raise('snapshot');
      const earlier = results.get(request.requestKey);
      if (earlier) return { ...(await earlier), firstRun: false };
      const running = take(request, onProgress);
      results.set(request.requestKey, running);
      return running;
    },
    async readiness(): Promise<ChatReadiness> {
      raise('readiness');
      return {
        verdict: 'NO-GO',
        evaluatedAt: '2026-12-02T10:05:00.000Z',
        targets: [
          {
            name: 'certctl-prod-db',
            location: 'aws/111111111111/eu-west-1',
            status: 'GO',
            gates: [
              { gate: 'audit:pitr', status: 'GO', evidence: 'pitr.window PASSED' },
              { gate: 'snapshot', status: 'GO', evidence: 'certctl-premaint-certctl-prod-db, 0.1 h old' },
            ],
          },
          {
            name: 'certctl-ra-db',
            location: 'aws/111111111111/eu-west-1',
            status: 'NO-GO',
            gates: [
              {
                gate: 'audit:pitr',
                status: 'NO-GO',
                evidence: 'pitr.retention FAILED (retentionDays 7)',
                action: 'Raise the backup retention to 30 days.',
              },
            ],
          },
        ],
        notEvaluated: [],
      };
    },
    async status(): Promise<ChatStatus> {
      raise('status');
      return {
        lastAudit: { unavailable: 'no import ledger' },
        snapshots: [],
        problems: [],
      };
    },
  };
}
