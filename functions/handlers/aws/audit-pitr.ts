/**
 * `audit-pitr` Lambda: run by an EventBridge Scheduler schedule, audits managed-Postgres PITR in
 * every configured account and region, records metrics, and publishes the findings to Security
 * Hub when the policy enables it. The handler only wires: input validation, policy, one core call.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { AwsClientFactory } from '../../aws/clients.ts';
import { LEDGER_BUCKET_ENV, s3LedgerStore } from '../../aws/ledger-store.ts';
import { type AuditReport, scopeKey } from '../../core/audit.ts';
import { InputError, inputIssues } from '../../core/errors.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { runAuditJob } from '../../jobs/audit.ts';
import { assertPublicationLanded, type DeliveredPublication } from '../../jobs/publish.ts';
import { createObservability, recordAuditMetrics } from './observability.ts';

/** What the schedule may pass (its `Input`); an empty or absent payload audits the whole policy. */
export const auditPitrInputSchema = z
  .strictObject({
    /** Audit only these regions. */
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Override `policy.securityHub.enabled` for this run. */
    publish: z.boolean().optional(),
  })
  .nullish()
  .transform((value) => value ?? {});

export type AuditPitrInput = z.input<typeof auditPitrInputSchema>;

export interface AuditPitrResult {
  readonly exitCode: number;
  readonly verdict: string;
  readonly counts: AuditReport['counts'];
  readonly scopes: { readonly evaluated: number; readonly failed: readonly string[] };
  /** Absent when the run did not publish; a publication that lost findings throws instead. */
  readonly published?: DeliveredPublication;
}

const { logger, metrics } = createObservability('audit-pitr');

export interface AuditPitrDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly logger: typeof logger;
  readonly metrics: typeof metrics;
  readonly now?: () => Date;
  /** The Lambda's own region (`AWS_REGION`), for account-level calls. */
  readonly homeRegion?: string | undefined;
  /** The import ledger's bucket (`BACKUP_GUARD_LEDGER_BUCKET`), in `homeRegion`; none: every run reads Security Hub in full. */
  readonly ledgerBucket?: string | undefined;
}

/** Parse the schedule's input, naming the bad field. */
export function parseAuditPitrInput(event: unknown): z.output<typeof auditPitrInputSchema> {
  const parsed = auditPitrInputSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InputError(`audit-pitr input is invalid: ${issues.join('; ')}`);
}

/** The plain function behind the handler: tests call it with their own dependencies. */
export async function auditPitr(event: unknown, deps: AuditPitrDependencies): Promise<AuditPitrResult> {
  const input = parseAuditPitrInput(event);
  const outcome = await runAuditJob(
    {
      providers: ['aws'],
      groups: ['pitr'],
      ...(input.regions ? { regions: input.regions } : {}),
      ...(input.publish === undefined ? {} : { publish: input.publish }),
    },
    {
      policy: deps.policy,
      aws: { factory: deps.factory, homeRegion: deps.homeRegion },
      publisher: {
        factory: () => deps.factory,
        accounts: deps.policy.aws.accounts,
        homeRegion: deps.homeRegion,
        ...(deps.ledgerBucket
          ? {
              ledger: () =>
                s3LedgerStore(deps.factory, deps.ledgerBucket as string, deps.homeRegion ?? 'us-east-1'),
            }
          : {}),
      },
      logger: deps.logger,
      ...(deps.now ? { now: deps.now } : {}),
    },
  );
  recordAuditMetrics(deps.metrics, outcome.metrics);
  deps.logger.info('audit finished', {
    counts: outcome.report.counts,
    exitCode: outcome.exitCode,
    publication: outcome.publication.status,
  });
  // What did not land is an error the Lambda must surface (Errors alarm, DLQ); the rest landed, and
  // the job has logged the failures.
  assertPublicationLanded(outcome.publication);
  const { report, publication } = outcome;
  return {
    exitCode: outcome.exitCode,
    verdict: outcome.verdict,
    counts: report.counts,
    scopes: {
      evaluated: report.scopes.filter((scope) => scope.status === 'complete').length,
      failed: report.scopes
        .filter((scope) => scope.status === 'failed')
        .map((scope) => scopeKey(scope.scope)),
    },
    ...(publication.status === 'published' ? { published: publication } : {}),
  };
}

let dependencies: AuditPitrDependencies | undefined;

function defaultDependencies(): AuditPitrDependencies {
  if (!dependencies) {
    const policy = loadFunctionPolicy();
    dependencies = {
      policy,
      factory: new AwsClientFactory({
        maxAttempts: policy.aws.maxAttempts,
        stsRegion: process.env.AWS_REGION,
      }),
      logger,
      metrics,
      homeRegion: process.env.AWS_REGION,
      ledgerBucket: process.env[LEDGER_BUCKET_ENV] || undefined,
    };
  }
  return dependencies;
}

export const handler = middy((event: unknown) => auditPitr(event, defaultDependencies()))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
