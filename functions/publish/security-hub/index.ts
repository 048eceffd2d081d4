/**
 * Security Hub publishing: ASFF mapping and validation, the scope-safe lifecycle plan (pure, usable
 * offline for `--format asff` and the demo), and the publisher that reads, plans and imports.
 */
export {
  ASFF_FINDING_TYPE,
  ASFF_ID_PREFIX,
  ASFF_LIMITS,
  ASFF_SCHEMA_VERSION,
  asffFindingId,
  type Destination,
  destinationFor,
  generatorId,
  type PublishTarget,
  partitionOf,
  productArn,
  publishTargetFrom,
  type ToAsffOptions,
  toAsff,
  truncate,
  validateAsff,
} from './asff.ts';
export {
  AsffValidationError,
  type FailedImport,
  FindingsImportError,
  SecurityHubConfigError,
} from './errors.ts';
export {
  decodeLedger,
  encodeLedger,
  LEDGER_FORMAT,
  LEDGER_VERSION,
  type Ledger,
  LedgerConflictError,
  type LedgerStore,
  LedgerUnreadableError,
  type StoredLedger,
} from './ledger.ts';
export {
  archiveImport,
  contentHash,
  describeChanges,
  destinationsToRead,
  type FindingLookup,
  type HeldFinding,
  heldFinding,
  type ImportAction,
  KEEP_ALIVE_DAYS,
  keepAliveImport,
  type PlanCounts,
  type PlannedImport,
  type PlannedSkip,
  type PlanPublicationInput,
  type PublicationPlan,
  planPublication,
  type RefusedCopy,
} from './lifecycle.ts';
export {
  type LedgerCounts,
  type PublishAccount,
  type PublishCounts,
  type PublishOptions,
  type PublishResult,
  type PublishRetryOptions,
  publishToSecurityHub,
  type SecurityHubClientSource,
  type UnauditedRegion,
} from './publisher.ts';
