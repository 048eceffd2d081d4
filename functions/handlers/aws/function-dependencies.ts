/**
 * What every AWS job Lambda builds once per execution environment, on its first invocation: the
 * bundled policy, one client factory (its retries from the policy, STS in the function's own
 * region), the Powertools logger and metrics of its service, and that region. A handler that needs
 * more (the import ledger's bucket, the idempotency table) extends this shape; none builds it again.
 */

import { AwsClientFactory } from '../../aws/clients.ts';
import { awsRegionField } from '../../core/aws-region.ts';
import { InputError, inputIssues, issuesLine } from '../../core/errors.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
import { fieldsAt, withFieldGuesses } from '../../core/schema-fields.ts';
import * as z from '../../core/zod.ts';
import type { createObservability } from './observability.ts';

type Observability = ReturnType<typeof createObservability>;

export interface AwsFunctionDependencies {
  readonly policy: Policy;
  readonly factory: AwsClientFactory;
  readonly logger: Observability['logger'];
  readonly metrics: Observability['metrics'];
  /** The Lambda's own region (`AWS_REGION`), for account-level calls. */
  readonly homeRegion?: string | undefined;
}

/**
 * The dependencies of a deployed handler, built on first use and kept for the warm invocations
 * after it; `extend` adds what the handler needs beyond {@link AwsFunctionDependencies}. A policy
 * that fails to load throws on every invocation (nothing is kept), so each failure is logged.
 */
export function functionDependencies<D extends AwsFunctionDependencies = AwsFunctionDependencies>(
  observability: Observability,
  extend: (base: AwsFunctionDependencies) => D = (base) => base as D,
): () => D {
  let dependencies: D | undefined;
  return () => {
    if (!dependencies) {
      const policy = loadFunctionPolicy();
      const homeRegion = process.env.AWS_REGION;
      dependencies = extend({
        policy,
        factory: new AwsClientFactory({ maxAttempts: policy.aws.maxAttempts, stsRegion: homeRegion }),
        logger: observability.logger,
        metrics: observability.metrics,
        homeRegion,
      });
    }
    return dependencies;
  };
}

/** The `regions` a job Lambda's input may name to narrow its run (AWS region names, at least one). */
export const runRegionsSchema = z.optional(z.array(awsRegionField).check(z.minLength(1)));

/**
 * A run's input may narrow the policy's regions, never widen them: a region the policy does not list
 * is refused, naming it (the role is granted exactly the policy's regions, and a run elsewhere would
 * read, write or publish where nobody configured it). With `aws.regions: all` any region name is
 * accepted; one not enabled in an account fails that scope, visibly.
 */
export function assertRunRegions(
  service: string,
  regions: readonly string[] | undefined,
  policy: Policy,
): void {
  const allowed = policy.aws.regions;
  if (allowed === 'all') return;
  const outside = (regions ?? []).filter((region) => !allowed.includes(region));
  if (outside.length > 0) {
    throw new InputError(
      `${service} input is invalid: regions: ${outside.join(', ')} not in the policy's aws.regions (${allowed.join(', ')}); a run may only narrow the policy's regions`,
    );
  }
}

/**
 * A job Lambda's input, parsed by `schema`; every mistake is one {@link InputError} starting
 * `<service> input`. An EventBridge event (an EventBridge rule whose target passes the matched
 * event) is said to be one, with what to pass instead, rather than answered with its nine
 * envelope keys as unrecognized: the deployed schedules are EventBridge Scheduler schedules whose
 * target receives exactly their `Input`. An SNS notification (a topic the function is subscribed to)
 * is said to be one too, rather than answered "Unrecognized key: Records".
 */
export function parseFunctionInput<S extends z.ZodMiniType>(
  service: string,
  schema: S,
  event: unknown,
): z.output<S> {
  if (typeof event === 'object' && event !== null && 'detail-type' in event && 'source' in event) {
    const { source, 'detail-type': detailType } = event as Record<string, unknown>;
    throw new InputError(
      `${service} input is an EventBridge event (source ${String(source)}, detail-type ${JSON.stringify(String(detailType))}), not the input it runs with: an EventBridge rule that targets it must pass constant JSON (Input) such as {}, as the deployed EventBridge Scheduler schedule does`,
    );
  }
  const topic = snsTopicOf(event);
  if (topic !== undefined) {
    const fields = fieldsAt(schema, []);
    throw new InputError(
      `${service} input is an SNS notification${topic ? ` (topic ${topic})` : ''}, not the input it runs with: it takes a JSON object of its own fields (${fields.join(', ')}), and a topic cannot send one (the function receives the notification itself); invoke it with that JSON directly or from an EventBridge Scheduler schedule (Input), as the deployed schedule does`,
    );
  }
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issues = inputIssues(parsed.error.issues.map((issue) => withFieldGuesses(schema, issue)));
  throw new InputError(`${service} input is invalid: ${issuesLine(issues)}`);
}

/**
 * The topic ARN of an SNS notification as Lambda delivers it (`Records[0].EventSource` `aws:sns`,
 * the ARN in `Sns.TopicArn`: one record per invocation), '' when it has none that reads as an ARN,
 * `undefined` when `event` is no SNS notification.
 */
function snsTopicOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || !('Records' in event)) return undefined;
  const { Records: records } = event as { Records: unknown };
  const record: unknown = Array.isArray(records) ? records[0] : undefined;
  if (typeof record !== 'object' || record === null) return undefined;
  const { EventSource: source, Sns: sns } = record as { EventSource?: unknown; Sns?: unknown };
  if (source !== 'aws:sns') return undefined;
  const arn = typeof sns === 'object' && sns !== null ? (sns as { TopicArn?: unknown }).TopicArn : undefined;
  // Repeated into the error and the logs: only what reads as a topic ARN (a name is at most 256
  // characters of letters, digits, hyphens and underscores, `.fifo` for a FIFO topic).
  return typeof arn === 'string' && /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(?:\.fifo)?$/.test(arn)
    ? arn
    : '';
}
