/**
 * Test helpers for the GCP side: a simulator with Cloud SQL, the metadata server, STS and Security
 * Hub, and the policy that federates into the simulator's central account.
 */

import { afterEach } from 'vitest';
import { type Policy, type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { loadScenario, type ScenarioInput } from '../sim/scenario.ts';
import { type Sim, type StartSimOptions, startSim } from '../sim/server.ts';
import type { CloudSqlInstanceScenario } from '../sim/services/cloud-sql.ts';
import { simServiceRegistrations } from '../sim/services/index.ts';
import { SECURITY_HUB_SERVICE, SecurityHubSim } from '../sim/services/security-hub.ts';

export const PROJECT = 'certctl-prod';
export const CENTRAL_ACCOUNT = '111111111111';
export const CENTRAL_REGION = 'eu-west-1';
export const ROLE_NAME = 'certctl-backup-guard-gcp';
export const ROLE_ARN = `arn:aws:iam::${CENTRAL_ACCOUNT}:role/${ROLE_NAME}`;
export const AUDIENCE = 'https://certctl-backup-guard.example.com/aws';
export const SERVICE_ACCOUNT_ID = '104753918625839485720';
/** The simulator clock and the audit's clock in every GCP test. */
export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const TARGET_LABELS = { 'certctl-backup-guard': 'enabled' } as const;

/** A labelled PostgreSQL primary with every protection on; cases override what they test. */
export function instance(
  name: string,
  overrides: Partial<CloudSqlInstanceScenario> = {},
): CloudSqlInstanceScenario {
  return {
    name,
    labels: { ...TARGET_LABELS },
    deletionProtection: true,
    retainBackupsOnDelete: true,
    ...overrides,
  };
}

/** Account 111111111111 trusting the service account for the audience, and the metadata server. */
export function federationScenario(): ScenarioInput {
  return {
    accounts: [
      {
        id: CENTRAL_ACCOUNT,
        webIdentityTrusts: [{ role: ROLE_NAME, oaud: AUDIENCE, serviceAccountId: SERVICE_ACCOUNT_ID }],
      },
    ],
    services: {
      gceMetadata: { projectId: PROJECT, serviceAccount: { uniqueId: SERVICE_ACCOUNT_ID } },
    },
  };
}

/**
 * The dumps scenario (test/sim/scenarios/dumps.yaml: dump series in S3 and Cloud Storage) plus
 * federation, whose accounts replace the scenario's.
 */
export async function dumpsScenario(): Promise<ScenarioInput> {
  const dumps = await loadScenario('test/sim/scenarios/dumps.yaml');
  const federation = federationScenario();
  return { ...dumps, ...federation, services: { ...dumps.services, ...federation.services } };
}

/** Federation plus this Cloud SQL service (projects, page size), for tests that need several projects. */
export function cloudSqlProjectsScenario(
  cloudSql: NonNullable<ScenarioInput['services']>['cloudSql'],
): ScenarioInput {
  const base = federationScenario();
  return { ...base, services: { ...base.services, cloudSql } };
}

/** A scenario with these Cloud SQL instances in {@link PROJECT}, plus federation. */
export function cloudSqlScenario(
  instances: readonly CloudSqlInstanceScenario[],
  options: {
    maxPageSize?: number;
    listFault?: { status: 'PERMISSION_DENIED' | 'INTERNAL'; after?: number };
  } = {},
): ScenarioInput {
  return cloudSqlProjectsScenario({
    ...(options.maxPageSize ? { maxPageSize: options.maxPageSize } : {}),
    projects: {
      [PROJECT]: {
        instances: [...instances],
        ...(options.listFault ? { faults: { list: options.listFault } } : {}),
      },
    },
  });
}

/**
 * Starts the simulator on the fixed clock. Security Hub is added by hand when the service registry
 * does not list it (yet), so these tests do not depend on the order the services were registered in.
 */
export async function startGcpSim(
  scenario: ScenarioInput,
  options: Omit<StartSimOptions, 'scenario'> = {},
): Promise<{ sim: Sim; securityHub: SecurityHubSim }> {
  const clock = options.clock ?? (() => NOW);
  const registered = simServiceRegistrations.some(
    (registration) => registration.name === SECURITY_HUB_SERVICE,
  );
  const extra = registered ? [] : [new SecurityHubSim({}, { now: clock })];
  const sim = await startSim({
    ...options,
    scenario,
    clock,
    extraServices: [...extra, ...(options.extraServices ?? [])],
  });
  return { sim, securityHub: extra[0] ?? sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE) };
}

/**
 * A simulator and a client factory into it for each test of the file (call once, at its top level):
 * both closed after each test.
 */
export function gcpSimPerTest(): (
  scenario: ScenarioInput,
  options?: Omit<StartSimOptions, 'scenario'>,
) => Promise<{ sim: Sim; factory: GcpClientFactory }> {
  let started: { sim: Sim; factory: GcpClientFactory } | undefined;
  afterEach(async () => {
    await started?.factory.close();
    await started?.sim.close();
    started = undefined;
  });
  return async (scenario, options) => {
    const { sim } = await startGcpSim(scenario, options);
    started = { sim, factory: new GcpClientFactory({ endpoint: sim.endpoint }) };
    return started;
  };
}

/** The policy of the GCP tests: the project, federation into the central account, publishing on. */
export function gcpPolicy(input: PolicyInput = {}): Policy {
  return parsePolicy({
    ...input,
    gcp: {
      projects: [PROJECT],
      federation: { roleArn: ROLE_ARN, audience: AUDIENCE, serviceAccountUniqueId: SERVICE_ACCOUNT_ID },
      ...input.gcp,
    },
    securityHub: {
      enabled: true,
      centralAccountId: CENTRAL_ACCOUNT,
      centralRegion: CENTRAL_REGION,
      ...input.securityHub,
    },
  });
}
