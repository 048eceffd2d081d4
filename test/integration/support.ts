/** Shared by the integration tests of the audit entry points: their dependencies, and what they published. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import type { AuditReport } from '../../functions/core/audit.ts';
import type { CheckGroup } from '../../functions/core/finding.ts';
import type { Policy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import type { GcpClientSource } from '../../functions/gcp/collectors.ts';
import { createFederatedAwsFactory, metadataIdTokenSource } from '../../functions/gcp/federation.ts';
import type { AuditLambdaDependencies } from '../../functions/handlers/aws/audit-handler.ts';
import type { AuditFunctionDependencies } from '../../functions/handlers/gcp/audit-function.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { recordingLogger } from '../core/recording-logger.ts';
import { simCredentials } from '../sim/accounts.ts';
import { parseScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { RdsSectionInput } from '../sim/services/rds.ts';
import type { SecurityHubSim } from '../sim/services/security-hub.ts';

/** What an audit Lambda's plain function runs with: silent logs, real metrics, home eu-west-1. */
export function lambdaDependencies(
  service: string,
  policy: Policy,
  factory: AwsClientFactory,
): AuditLambdaDependencies {
  return {
    policy,
    factory,
    logger: new Logger({ serviceName: service, logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'CertctlBackupGuard', serviceName: service }),
    homeRegion: 'eu-west-1',
  };
}

/**
 * What an audit Cloud Function's plain function runs with against the simulator: the GCP clients
 * on its endpoint (`clients` adds what its groups read, as the function's own option does), and AWS
 * through keyless federation with an ID token from its metadata server. Close `gcp` when done.
 */
export function cloudFunctionDependencies<C extends GcpClientSource & { close(): Promise<void> }>(
  endpoint: string,
  policy: Policy,
  clients: (factory: GcpClientFactory) => C,
): AuditFunctionDependencies & { readonly gcp: C } {
  const source = metadataIdTokenSource({ host: new URL(endpoint).host });
  return {
    policy,
    gcp: clients(new GcpClientFactory({ endpoint })),
    awsFactory: () => createFederatedAwsFactory(policy, { endpoint, idTokenSource: source }),
    logger: recordingLogger(),
  };
}

/** A group's findings stored in one account and region, by `<resource id> <check id>`. */
export function storedFindings(
  hub: SecurityHubSim,
  account: string,
  region: string,
  group: CheckGroup,
): Map<string, AwsSecurityFinding> {
  return new Map(
    hub
      .findings(account, region)
      .filter((finding) => finding.ProductFields?.checkGroup === group)
      .map((finding) => [`${finding.ProductFields?.resourceId} ${finding.ProductFields?.checkId}`, finding]),
  );
}

/** The AWS key-material audit of `policy` against the simulator at `endpoint`, through the real SDK clients. */
export async function awsKeysAudit(endpoint: string, policy: Policy): Promise<AuditReport> {
  const factory = new AwsClientFactory({ maxAttempts: 2, credentials: simCredentials(), endpoint });
  try {
    return await runAuditReport(
      { providers: ['aws'], groups: ['keys'] },
      { policy, aws: { factory, collectors: awsCollectors } },
    );
  } finally {
    factory.destroy();
  }
}

/** The AWS audit of `policy` (every group it configures) against the simulator at `endpoint`, through the real SDK clients. */
export async function awsAudit(endpoint: string, policy: Policy): Promise<AuditReport> {
  const factory = new AwsClientFactory({
    maxAttempts: policy.aws.maxAttempts,
    credentials: simCredentials(),
    endpoint,
  });
  try {
    return await runAuditReport(
      { providers: ['aws'] },
      { policy, aws: { factory, collectors: awsCollectors } },
    );
  } finally {
    factory.destroy();
  }
}

/** The policy's default target tag, as a simulator resource carries it. */
export const TARGET_TAG = { 'certctl:backup-guard': 'enabled' } as const;

/** A simulator database whose PITR settings pass: 35 days kept and restorable, 4 minutes behind. */
export const BACKED_UP = {
  backupRetentionPeriod: 35,
  earliestRestorableTime: '-35d',
  latestRestorableTime: '-4m',
} as const;

/** A simulator whose one Region, eu-west-1, holds `rds`. */
export function startRdsSim(rds: RdsSectionInput): Promise<Sim> {
  return startSim({ scenario: parseScenario({ regions: [{ name: 'eu-west-1' }], services: { rds } }) });
}
