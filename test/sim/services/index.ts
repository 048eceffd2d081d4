/**
 * The simulated services, in routing order: the server hands a request to the first service whose
 * `matches` accepts it. Each service validates its own `services.<name>` scenario section (when it
 * has one) so that a bad field is reported with its file and path.
 */
import type * as z from 'zod';
import type { Scenario } from '../scenario.ts';
import type { SimContext, SimService, SimServiceFactory } from '../service.ts';
import { createAccountService } from './account.ts';
import { CLOUD_KMS_SERVICE, CloudKmsService, cloudKmsSectionSchema, cloudKmsService } from './cloud-kms.ts';
import { cloudSqlSectionSchema, cloudSqlService } from './cloud-sql.ts';
import { gceMetadataSectionSchema, gceMetadataService } from './gce-metadata.ts';
import { createGcsService, gcsSectionSchema } from './gcs.ts';
import { kmsSectionSchema, kmsService } from './kms.ts';
import { LAMBDA_SERVICE, lambdaService } from './lambda.ts';
import { PUBSUB_SERVICE, pubsubSectionSchema, pubsubService } from './pubsub.ts';
import { createRdsService, rdsSectionSchema } from './rds.ts';
import {
  RESOURCE_MANAGER_SERVICE,
  resourceManagerSectionSchema,
  resourceManagerService,
} from './resource-manager.ts';
import { createS3Service, s3SectionSchema } from './s3.ts';
import { secretManagerSectionSchema, secretManagerService } from './secret-manager.ts';
import { secretsManagerSectionSchema, secretsManagerService } from './secrets-manager.ts';
import { securityHubSectionSchema, securityHubService } from './security-hub.ts';
import { SNS_SERVICE, snsSectionSchema, snsService } from './sns.ts';
import { createStsService } from './sts.ts';

export interface SimServiceRegistration {
  /** The key of the service's scenario section (`services.<name>`). */
  readonly name: string;
  /** Schema of the section, checked in every scenario file; without one the section is refused. */
  readonly section?: z.ZodType;
  /** Builds the service; it is always built, with or without a section. */
  create(scenario: Scenario, context: SimContext): SimService;
}

/**
 * A service built from its own scenario section by a `SimServiceFactory` (test/sim/service.ts).
 * The factory gets `undefined` when the scenario has no such section.
 */
export function fromSection(
  name: string,
  factory: SimServiceFactory,
  section?: z.ZodType,
): SimServiceRegistration {
  return {
    name,
    ...(section ? { section } : {}),
    create: (scenario, context) => factory(scenario.services[name], context),
  };
}

/**
 * Every simulated service. Plug-in services (Security Hub, Cloud SQL, GCE metadata) register by
 * adding one line each at the end of this list:
 * `fromSection('<section name>', create<Name>Service, <name>SectionSchema),`
 */
export const simServiceRegistrations: readonly SimServiceRegistration[] = [
  { name: 'sts', create: createStsService },
  { name: 'account', create: createAccountService },
  { name: 'rds', section: rdsSectionSchema, create: createRdsService },
  fromSection('cloudSql', cloudSqlService, cloudSqlSectionSchema),
  fromSection('gceMetadata', gceMetadataService, gceMetadataSectionSchema),
  fromSection('securityHub', securityHubService, securityHubSectionSchema),
  { name: 's3', section: s3SectionSchema, create: createS3Service },
  { name: 'gcs', section: gcsSectionSchema, create: createGcsService },
  fromSection('secretsManager', secretsManagerService, secretsManagerSectionSchema),
  fromSection('kms', kmsService, kmsSectionSchema),
  fromSection(CLOUD_KMS_SERVICE, cloudKmsService, cloudKmsSectionSchema),
  // Secret Manager asks the scenario's Cloud KMS whether a CMEK version can be decrypted.
  {
    name: 'secretManager',
    section: secretManagerSectionSchema,
    create: (scenario) =>
      secretManagerService(
        scenario.services.secretManager,
        new CloudKmsService(scenario.services[CLOUD_KMS_SERVICE]),
      ),
  },
  fromSection(SNS_SERVICE, snsService, snsSectionSchema),
  fromSection(PUBSUB_SERVICE, pubsubService, pubsubSectionSchema),
  // Functions are deployed by the test that runs them (in-process handlers), not by the scenario.
  { name: LAMBDA_SERVICE, create: () => lambdaService() },
  fromSection(RESOURCE_MANAGER_SERVICE, resourceManagerService, resourceManagerSectionSchema),
];

/** Builds every registered service for a scenario. */
export function buildSimServices(scenario: Scenario, context: SimContext): SimService[] {
  return simServiceRegistrations.map((registration) => registration.create(scenario, context));
}
