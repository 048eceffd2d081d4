/**
 * What every AWS job Lambda builds once per execution environment, on its first invocation: the
 * bundled policy, one client factory (its retries from the policy, STS in the function's own
 * region), the Powertools logger and metrics of its service, and that region. A handler that needs
 * more (the import ledger's bucket, the idempotency table) extends this shape; none builds it again.
 */
import { AwsClientFactory } from '../../aws/clients.ts';
import { loadFunctionPolicy, type Policy } from '../../core/policy.ts';
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
