/**
 * Simulated AWS Security Hub CSPM (REST-JSON), on the points the publisher relies on:
 *
 * Every request and finding is checked against the published service model, kept as data in
 * `test/sim/models/securityhub-asff.json` (see `security-hub-model.ts`): unknown members, enums,
 * lengths, numeric ranges, required members and timestamp formats; errors are the ones the model
 * declares for the operation (throttling is `LimitExceededException`, HTTP 429).
 *
 * - `POST /findings/import` (BatchImportFindings): 1-100 findings per call, each with an Id (a
 *   failed finding is reported by Id, so a finding without one fails the whole call); per-finding
 *   validation answered as HTTP 200 with `FailedFindings` (`InvalidInput`, as the service words it:
 *   "Finding does not adhere to Amazon Security Finding Format …"); Severity and Types taken from
 *   top level or FindingProviderFields, each filling the other; Security Hub not enabled -> `InvalidAccess`
 *   per finding; a finding whose ProductArn or AwsAccountId names another account makes the whole
 *   call fail with 403 `AccessDeniedException` (what prowler#867 and cloud-custodian#6091 observed);
 *   the UpdatedAt rule (an update that is not newer is ignored); Workflow NEW on creation, reset to NEW
 *   from NOTIFIED/RESOLVED when a finding is reactivated or regresses from PASSED; the provider may
 *   not change Workflow, Note, UserDefinedFields or VerificationState after creation.
 * - `POST /findings` (GetFindings): string filters (EQUALS, PREFIX, NOT_EQUALS, PREFIX_NOT_EQUALS,
 *   CONTAINS, NOT_CONTAINS) on the common fields, ProductFields map filters (EQUALS, NOT_EQUALS),
 *   the combinations the API reference forbids on one field refused, at most 10 attributes of 20
 *   values, MaxResults <= 100 and NextToken paging.
 *
 * Findings are kept per (account, region) of the signing request. Tests reach the state and inject
 * per-finding failures through the `SecurityHubSim` methods.
 */
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import * as z from 'zod';
import { scenarioError } from '../errors.ts';
import { jsonBody, jsonError, jsonResponse } from '../protocols/rest-json.ts';
import { accountIdSchema, parseSimTime, regionSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService, SimServiceFactory } from '../service.ts';
import {
  type FilterEntry,
  filtersProblem,
  findingProblem,
  modelErrorStatus,
  parseTimestamp,
  SECURITY_HUB_MODEL,
  shapeProblem,
} from './security-hub-model.ts';

/** The service's name: its scenario section and its key for fault injection. */
export const SECURITY_HUB_SERVICE = 'securityHub';

const SCHEMA_VERSION = SECURITY_HUB_MODEL.finding.schemaVersion;
const IMPORT_LIST = SECURITY_HUB_MODEL.shapes.BatchImportFindingsRequestFindingList;
const MIN_IMPORT = IMPORT_LIST?.min ?? 1;
const MAX_IMPORT = IMPORT_LIST?.max ?? 100;
/** 240 KB per finding: the BatchImportFindings API reference, not the model. */
const MAX_FINDING_BYTES = 240 * 1024;
/**
 * 6 MB per request: "up to 100 findings per batch, up to 240 KB per finding, and up to 6 MB per
 * batch" (Security Hub partner guide, guidelines-batchimportfindings), not the model.
 */
export const MAX_IMPORT_REQUEST_BYTES = 6 * 1024 * 1024;
const PRODUCT_ARN = /^arn:aws(?:-[a-z-]+)?:securityhub:([a-z0-9-]+):(\d{12}):product\/(\d{12})\/default$/;
const CUSTOMER_OWNED = [
  'Workflow',
  'WorkflowState',
  'Note',
  'UserDefinedFields',
  'VerificationState',
] as const;

const seededFindingSchema = z
  .looseObject({
    SchemaVersion: z.literal(SCHEMA_VERSION).default(SCHEMA_VERSION),
    Id: z.string().min(1),
    ProductArn: z.string().regex(PRODUCT_ARN, 'must be a default custom product ARN'),
    GeneratorId: z.string().min(1),
    AwsAccountId: accountIdSchema,
    /** A relative simulator time (`-8d`) or an ISO date. */
    CreatedAt: z.string().default('now'),
    UpdatedAt: z.string().default('now'),
  })
  .superRefine((finding, context) => {
    for (const field of ['CreatedAt', 'UpdatedAt'] as const) {
      if (!parseSimTime(finding[field])) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: 'must be a relative time (-8d) or ISO date',
        });
      }
    }
  });

/** The `services.securityHub` scenario section. */
export const securityHubSectionSchema = z
  .strictObject({
    /** Where Security Hub is not enabled (every region of the account when `region` is absent). */
    disabled: z
      .array(z.strictObject({ account: accountIdSchema, region: regionSchema.optional() }))
      .default([]),
    /** Findings already in Security Hub; their account and region come from ProductArn. */
    findings: z.array(seededFindingSchema).default([]),
    /** Per-finding import failures (`times` absent: every import of that Id fails). */
    importFailures: z
      .array(
        z.strictObject({
          id: z.string().min(1),
          code: z.string().min(1).default('InternalException'),
          message: z.string().default('Internal service error'),
          times: z.int().positive().optional(),
        }),
      )
      .default([]),
  })
  .prefault({});

/** The `services.securityHub` section as written. */
export type SecurityHubScenario = z.input<typeof securityHubSectionSchema>;

/** `Workflow.Status` values a customer can set. */
export type WorkflowStatusValue = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';

/** One API call the simulator answered (rejected calls included). */
export interface SecurityHubCall {
  readonly operation: 'GetFindings' | 'BatchImportFindings';
  readonly callerAccount: string | undefined;
  readonly region: string;
  /** Findings in the request (imports) or returned (reads). */
  readonly findings: number;
  /** The Ids sent (imports only). */
  readonly ids: readonly string[];
  readonly status: number;
}

/** A failure `injectImportFailure` makes Security Hub answer for one finding Id. */
export interface ImportFailureInjection {
  readonly code?: string;
  readonly message?: string;
  /** How many imports of the Id fail; every one when absent. */
  readonly times?: number;
}

interface Injection {
  code: string;
  message: string;
  remaining: number;
}

type StoredFinding = AwsSecurityFinding & Record<string, unknown>;

function storeKey(account: string, region: string): string {
  return `${account}/${region}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The simulated Security Hub; a `SimService` plus the controls tests use. */
export class SecurityHubSim implements SimService {
  readonly name = SECURITY_HUB_SERVICE;
  /** Every call, oldest first. */
  readonly calls: SecurityHubCall[] = [];
  readonly #stores = new Map<string, Map<string, StoredFinding>>();
  readonly #disabled: { account: string; region?: string | undefined }[];
  readonly #injections = new Map<string, Injection>();
  readonly #callInjections = new Map<string, Injection>();
  readonly #readInjections = new Map<string, Injection>();

  constructor(section: unknown, context: SimContext) {
    const parsed = securityHubSectionSchema.safeParse(section);
    if (!parsed.success) {
      throw scenarioError(
        'scenario',
        undefined,
        parsed.error.issues.map((issue) => ({
          path: ['services', SECURITY_HUB_SERVICE, ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      );
    }
    this.#disabled = parsed.data.disabled;
    const now = context.now();
    for (const seeded of parsed.data.findings) {
      const region = PRODUCT_ARN.exec(seeded.ProductArn)?.[1] as string;
      const finding = {
        ...seeded,
        CreatedAt: (parseSimTime(seeded.CreatedAt)?.at(now) ?? now).toISOString(),
        UpdatedAt: (parseSimTime(seeded.UpdatedAt)?.at(now) ?? now).toISOString(),
      } as StoredFinding;
      this.#store(seeded.AwsAccountId, region).set(findingKey(finding), this.#created(finding, region, now));
    }
    for (const failure of parsed.data.importFailures) {
      this.injectImportFailure(failure.id, {
        code: failure.code,
        message: failure.message,
        ...(failure.times ? { times: failure.times } : {}),
      });
    }
  }

  matches(request: SimRequest): boolean {
    if (request.signingService !== undefined) return request.signingService === 'securityhub';
    return request.method === 'POST' && (request.path === '/findings' || request.path === '/findings/import');
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const region = request.signingRegion ?? 'us-east-1';
    if (request.method === 'POST' && request.path === '/findings/import') {
      return this.#record(request, 'BatchImportFindings', region, () =>
        this.#import(request, region, context.now()),
      );
    }
    if (request.method === 'POST' && request.path === '/findings') {
      return this.#record(request, 'GetFindings', region, () => this.#getFindings(request, region));
    }
    return jsonError(
      404,
      'ResourceNotFoundException',
      `the simulator does not serve ${request.method} ${request.path}`,
    );
  }

  operation(request: SimRequest): string {
    if (request.path === '/findings/import') return 'BatchImportFindings';
    if (request.path === '/findings') return 'GetFindings';
    return `${request.method} ${request.path}`;
  }

  throttled(): SimResponse {
    return modelError('LimitExceededException', 'Rate exceeded');
  }

  serverError(): SimResponse {
    return modelError('InternalException', 'Internal service error');
  }

  unavailable(): SimResponse {
    return jsonError(503, 'ServiceUnavailableException', 'Service unavailable');
  }

  /** The findings held for (account, region), as GetFindings would return them. */
  findings(account: string, region: string): AwsSecurityFinding[] {
    return [...(this.#stores.get(storeKey(account, region))?.values() ?? [])].map(clone);
  }

  /** Every finding held, with where it is held. */
  allFindings(): { account: string; region: string; finding: AwsSecurityFinding }[] {
    const all: { account: string; region: string; finding: AwsSecurityFinding }[] = [];
    for (const [key, store] of this.#stores) {
      const [account = '', region = ''] = key.split('/');
      for (const finding of store.values()) all.push({ account, region, finding: clone(finding) });
    }
    return all;
  }

  /** Make imports of `id` fail in `FailedFindings` (HTTP 200), `times` times or for good. */
  injectImportFailure(id: string, options: ImportFailureInjection = {}): void {
    this.#injections.set(id, {
      code: options.code ?? 'InternalException',
      message: options.message ?? 'Internal service error',
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Refuse, `times` times or for good, every BatchImportFindings call that carries `id` (the whole
   * call, HTTP 400 `InvalidInputException` unless another model error is given), as the service
   * refuses a request it cannot take.
   */
  injectCallFailure(id: string, options: ImportFailureInjection = {}): void {
    this.#callInjections.set(id, {
      code: options.code ?? 'InvalidInputException',
      message: options.message ?? 'Invalid request',
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Refuse, `times` times or for good, every GetFindings call that filters on `filter` (`Id`: the
   * reads of named findings; `UpdatedAt`: the reads of what changed since): HTTP 503
   * ServiceUnavailableException unless another model error is given.
   */
  injectReadFailure(filter: string, options: ImportFailureInjection = {}): void {
    this.#readInjections.set(filter, {
      code: options.code ?? 'ServiceUnavailableException',
      message: options.message ?? 'Service unavailable',
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  clearImportFailures(): void {
    this.#injections.clear();
    this.#callInjections.clear();
    this.#readInjections.clear();
  }

  /** What a customer's BatchUpdateFindings would do to Workflow.Status (it does not touch UpdatedAt). */
  setWorkflowStatus(account: string, region: string, id: string, status: WorkflowStatusValue): void {
    const store = this.#stores.get(storeKey(account, region));
    const finding = [...(store?.values() ?? [])].find((candidate) => candidate.Id === id);
    if (!finding) throw new Error(`no finding ${id} in ${account}/${region}`);
    finding.Workflow = { Status: status };
    finding.WorkflowState = status === 'NOTIFIED' ? 'ASSIGNED' : status === 'NEW' ? 'NEW' : 'RESOLVED';
  }

  /**
   * A finding that shows in (account, region) without this account importing it: another product's,
   * or a member account's finding seen by its administrator account. Stored as given.
   */
  addFinding(account: string, region: string, finding: AwsSecurityFinding): void {
    const stored = clone(finding) as StoredFinding;
    this.#store(account, region).set(findingKey(stored), stored);
  }

  /** Security Hub deleting a finding (90 days without an update, or an administrator's clean-up). */
  deleteFinding(account: string, region: string, id: string): void {
    const store = this.#stores.get(storeKey(account, region));
    const key = [...(store?.entries() ?? [])].find(([, candidate]) => candidate.Id === id)?.[0];
    if (!store || key === undefined) throw new Error(`no finding ${id} in ${account}/${region}`);
    store.delete(key);
  }

  /** Someone outside the product archiving a finding (an import with RecordState ARCHIVED at `updatedAt`). */
  archiveFinding(account: string, region: string, id: string, updatedAt: string): void {
    const store = this.#stores.get(storeKey(account, region));
    const finding = [...(store?.values() ?? [])].find((candidate) => candidate.Id === id);
    if (!finding) throw new Error(`no finding ${id} in ${account}/${region}`);
    finding.RecordState = 'ARCHIVED';
    finding.UpdatedAt = updatedAt;
  }

  /** Forget recorded calls (state stays). */
  resetCalls(): void {
    this.calls.length = 0;
  }

  #store(account: string, region: string): Map<string, StoredFinding> {
    const key = storeKey(account, region);
    let store = this.#stores.get(key);
    if (!store) {
      store = new Map();
      this.#stores.set(key, store);
    }
    return store;
  }

  #isDisabled(account: string, region: string): boolean {
    return this.#disabled.some(
      (entry) => entry.account === account && (!entry.region || entry.region === region),
    );
  }

  #record(
    request: SimRequest,
    operation: SecurityHubCall['operation'],
    region: string,
    answer: () => { response: SimResponse; findings: number; ids: readonly string[] },
  ): SimResponse {
    const { response, findings, ids } = answer();
    this.calls.push({
      operation,
      callerAccount: request.callerAccount,
      region,
      findings,
      ids,
      status: response.status,
    });
    return response;
  }

  #import(
    request: SimRequest,
    region: string,
    now: Date,
  ): { response: SimResponse; findings: number; ids: string[] } {
    const body = jsonBody(request.body) as { Findings?: unknown } | undefined;
    const findings = body?.Findings;
    const none = { findings: 0, ids: [] };
    const requestProblem =
      request.body.length > MAX_IMPORT_REQUEST_BYTES
        ? `the request is ${request.body.length} bytes, over the 6 MB a BatchImportFindings call takes`
        : importRequestProblem(body);
    if (requestProblem || !Array.isArray(findings)) {
      return {
        ...none,
        response: modelError(
          'InvalidInputException',
          requestProblem ?? 'Findings is required and must be a list',
        ),
      };
    }
    const ids = findings.map((finding) => (finding as { Id?: unknown } | null)?.Id);
    const sized = { findings: findings.length, ids: ids.map((id) => String(id ?? '')) };
    if (findings.length < MIN_IMPORT || findings.length > MAX_IMPORT) {
      return {
        ...sized,
        response: modelError(
          'InvalidInputException',
          `Findings must have between ${MIN_IMPORT} and ${MAX_IMPORT} items; the request had ${findings.length}`,
        ),
      };
    }
    // FailedFindings name each failure by its Id (ImportFindingsError.Id is a required
    // NonEmptyString), so a finding without one cannot be answered on its own.
    const missing = ids.findIndex((id) => shapeProblem(id, 'NonEmptyString') !== undefined);
    if (missing >= 0) {
      return {
        ...sized,
        response: modelError(
          'InvalidInputException',
          `Findings[${missing}].Id is required and must not be blank`,
        ),
      };
    }
    const caller = request.callerAccount;
    if (!caller) {
      return { ...sized, response: jsonError(403, 'AccessDeniedException', 'Missing Authentication Token') };
    }
    const refusal = sized.ids
      .map((id) => this.#callInjections.get(id))
      .find((entry) => (entry?.remaining ?? 0) > 0);
    if (refusal) {
      refusal.remaining -= 1;
      return { ...sized, response: modelError(refusal.code, refusal.message) };
    }
    for (const finding of findings as AwsSecurityFinding[]) {
      const arnAccount = PRODUCT_ARN.exec(String(finding?.ProductArn ?? ''))?.[2];
      if (
        (arnAccount && arnAccount !== caller) ||
        (finding?.AwsAccountId && finding.AwsAccountId !== caller)
      ) {
        return {
          ...sized,
          response: jsonError(
            403,
            'AccessDeniedException',
            `User: arn:aws:sts::${caller}:assumed-role/sim is not authorized to perform: securityhub:BatchImportFindings on resource: ${String(finding.ProductArn)}`,
          ),
        };
      }
    }
    const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
    const store = this.#store(caller, region);
    for (const [index, raw] of (findings as AwsSecurityFinding[]).entries()) {
      const id = sized.ids[index] as string;
      if (this.#isDisabled(caller, region)) {
        failed.push({
          Id: id,
          ErrorCode: 'InvalidAccess',
          ErrorMessage: `Security Hub is not enabled for account ${caller} in ${region}`,
        });
        continue;
      }
      const problem = asffProblem(raw, caller, region);
      if (problem) {
        failed.push({
          Id: id,
          ErrorCode: 'InvalidInput',
          ErrorMessage: `Finding does not adhere to Amazon Security Finding Format. ${problem}`,
        });
        continue;
      }
      const injection = this.#injections.get(id);
      if (injection && injection.remaining > 0) {
        injection.remaining -= 1;
        failed.push({ Id: id, ErrorCode: injection.code, ErrorMessage: injection.message });
        continue;
      }
      // Parsed from this request's body: nothing else holds a reference to it.
      const incoming = raw as StoredFinding;
      const key = findingKey(incoming);
      const existing = store.get(key);
      if (!existing) {
        store.set(key, this.#created(incoming, region, now));
        continue;
      }
      // The UpdatedAt rule: an update that is not newer than the stored finding is ignored.
      if (timeOf(incoming.UpdatedAt) <= timeOf(existing.UpdatedAt)) continue;
      store.set(key, updated(existing, incoming, now));
    }
    const response = jsonResponse(200, {
      FailedCount: failed.length,
      SuccessCount: findings.length - failed.length,
      FailedFindings: failed,
    });
    return { ...sized, response };
  }

  #created(finding: StoredFinding, region: string, now: Date): StoredFinding {
    const account = finding.AwsAccountId as string;
    const stored: StoredFinding = {
      ...finding,
      Region: region,
      CompanyName: 'Personal',
      ProductName: 'Default',
      ProcessedAt: now.toISOString(),
      ProductFields: {
        ...finding.ProductFields,
        'aws/securityhub/FindingId': `${finding.ProductArn}/${finding.Id}`,
        'aws/securityhub/ProductName': 'Default',
        'aws/securityhub/CompanyName': 'Personal',
      },
      // Each side fills the other when it is absent (FindingProviderFields in the API reference).
      Severity: finding.Severity ?? { Label: finding.FindingProviderFields?.Severity?.Label },
      Types: finding.Types ?? finding.FindingProviderFields?.Types,
      FindingProviderFields: finding.FindingProviderFields ?? {
        ...(finding.Severity ? { Severity: { Label: finding.Severity.Label } } : {}),
        ...(finding.Types ? { Types: finding.Types } : {}),
      },
      Workflow: finding.Workflow ?? { Status: 'NEW' },
      WorkflowState: finding.WorkflowState ?? 'NEW',
      RecordState: finding.RecordState ?? 'ACTIVE',
    };
    stored.AwsAccountId = account;
    return stored;
  }

  #getFindings(
    request: SimRequest,
    region: string,
  ): { response: SimResponse; findings: number; ids: string[] } {
    const none = { findings: 0, ids: [] };
    const caller = request.callerAccount;
    if (!caller)
      return { ...none, response: jsonError(403, 'AccessDeniedException', 'Missing Authentication Token') };
    if (this.#isDisabled(caller, region)) {
      return {
        ...none,
        response: modelError(
          'InvalidAccessException',
          `Account ${caller} is not subscribed to AWS Security Hub`,
        ),
      };
    }
    const body = jsonBody(request.body) as
      | { Filters?: Record<string, unknown>; MaxResults?: number; NextToken?: string; SortCriteria?: unknown }
      | undefined;
    if (!body)
      return { ...none, response: modelError('InvalidInputException', 'the request body is not JSON') };
    const invalid =
      shapeProblem(body, SECURITY_HUB_MODEL.operations.GetFindings.input, 'request') ??
      (body.Filters === undefined ? undefined : filtersProblem(body.Filters));
    if (invalid) return { ...none, response: modelError('InvalidInputException', invalid) };
    const refusedRead = Object.keys(body.Filters ?? {})
      .map((name) => this.#readInjections.get(name))
      .find((entry) => (entry?.remaining ?? 0) > 0);
    if (refusedRead) {
      refusedRead.remaining -= 1;
      // The service's 503 unless the injection names a model error.
      const response =
        refusedRead.code === 'ServiceUnavailableException'
          ? this.unavailable()
          : modelError(refusedRead.code, refusedRead.message);
      return { ...none, response };
    }
    const maxResults = body.MaxResults ?? SECURITY_HUB_MODEL.shapes.MaxResults?.max ?? 100;
    if (body.SortCriteria !== undefined) {
      return { ...none, response: modelError('InvalidInputException', 'SortCriteria is not simulated') };
    }
    let predicate: (finding: StoredFinding) => boolean;
    try {
      predicate = compileFilters(body.Filters ?? {});
    } catch (error) {
      return { ...none, response: modelError('InvalidInputException', (error as Error).message) };
    }
    const signature = JSON.stringify(body.Filters ?? {});
    let offset = 0;
    if (body.NextToken !== undefined) {
      const token = decodeToken(body.NextToken);
      if (!token || token.signature !== signature) {
        return {
          ...none,
          response: modelError('InvalidInputException', 'NextToken is invalid for these filters'),
        };
      }
      offset = token.offset;
    }
    const matching = [...(this.#stores.get(storeKey(caller, region))?.values() ?? [])].filter(predicate);
    // Serialized right away, so the stored objects never leave the simulator.
    const page = matching.slice(offset, offset + maxResults);
    const next =
      offset + maxResults < matching.length ? encodeToken(offset + maxResults, signature) : undefined;
    return {
      findings: page.length,
      ids: [],
      response: jsonResponse(200, { Findings: page, ...(next ? { NextToken: next } : {}) }),
    };
  }
}

/** Security Hub keeps one finding per (ProductArn, Id). */
function findingKey(finding: AwsSecurityFinding): string {
  return `${finding.ProductArn}\n${finding.Id}`;
}

/** A provider update: its own fields replace the stored ones; customer-owned ones are kept. */
function updated(existing: StoredFinding, incoming: StoredFinding, now: Date): StoredFinding {
  const next: StoredFinding = { ...existing, ...incoming, ProcessedAt: now.toISOString() };
  for (const field of CUSTOMER_OWNED) {
    if (existing[field] === undefined) delete next[field];
    else next[field] = existing[field] as never;
  }
  next.ProductFields = {
    ...incoming.ProductFields,
    ...Object.fromEntries(
      Object.entries(existing.ProductFields ?? {}).filter(([key]) => key.startsWith('aws/')),
    ),
  };
  // Severity and Types follow FindingProviderFields (no customer BatchUpdateFindings is simulated).
  const providerFields = incoming.FindingProviderFields ?? existing.FindingProviderFields;
  next.FindingProviderFields = providerFields;
  if (providerFields?.Severity?.Label) next.Severity = { Label: providerFields.Severity.Label };
  if (providerFields?.Types) next.Types = providerFields.Types;
  next.RecordState = incoming.RecordState ?? existing.RecordState;
  const reactivated = existing.RecordState === 'ARCHIVED' && next.RecordState === 'ACTIVE';
  const regressed =
    existing.Compliance?.Status === 'PASSED' &&
    next.Compliance?.Status !== undefined &&
    next.Compliance.Status !== 'PASSED';
  const workflow = existing.Workflow?.Status;
  if ((reactivated || regressed) && (workflow === 'NOTIFIED' || workflow === 'RESOLVED')) {
    next.Workflow = { Status: 'NEW' };
    next.WorkflowState = 'NEW';
  }
  return next;
}

/**
 * Why Security Hub would reject the finding, or undefined when it is acceptable: the published
 * model first (shape, members, enums, lengths, ranges, timestamps, SchemaVersion, Severity and
 * Types), then what the model cannot say (the product must be this account's, in this region).
 */
function asffProblem(finding: AwsSecurityFinding, caller: string, region: string): string | undefined {
  const problem = findingProblem(finding);
  if (problem) return problem;
  const arn = PRODUCT_ARN.exec(finding.ProductArn as string);
  if (!arn || arn[2] !== caller || arn[3] !== caller)
    return 'data.ProductArn is not a product of this account';
  if (arn[1] !== region) return `data.ProductArn names region ${arn[1]}, not ${region}`;
  if (Buffer.byteLength(JSON.stringify(finding), 'utf8') > MAX_FINDING_BYTES)
    return 'the finding is larger than 240 KB';
  return undefined;
}

/** Why the BatchImportFindings request itself (not one of its findings) is invalid. */
function importRequestProblem(body: unknown): string | undefined {
  const request = SECURITY_HUB_MODEL.shapes[SECURITY_HUB_MODEL.operations.BatchImportFindings.input];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the request body is not JSON';
  for (const name of Object.keys(body)) {
    if (!request?.members?.[name]) return `request should NOT have additional properties ('${name}')`;
  }
  return undefined;
}

/** An error the model declares for these operations, with the model's HTTP status. */
function modelError(code: string, message: string): SimResponse {
  return jsonError(modelErrorStatus(code), code, message);
}

/** A stored timestamp as milliseconds; stored findings passed validation, so it always parses. */
function timeOf(value: string | undefined): number {
  return parseTimestamp(value ?? '') ?? Number.NaN;
}

/** The string value GetFindings filters on, per filter name. */
const FIELD_VALUES: Readonly<Record<string, (finding: StoredFinding) => string | undefined>> = {
  ProductArn: (finding) => finding.ProductArn,
  AwsAccountId: (finding) => finding.AwsAccountId,
  Id: (finding) => finding.Id,
  GeneratorId: (finding) => finding.GeneratorId,
  Region: (finding) => finding.Region as string | undefined,
  Title: (finding) => finding.Title,
  Description: (finding) => finding.Description,
  RecordState: (finding) => finding.RecordState,
  ComplianceStatus: (finding) => finding.Compliance?.Status,
  WorkflowStatus: (finding) => finding.Workflow?.Status,
  SeverityLabel: (finding) => finding.Severity?.Label,
  ProductName: (finding) => finding.ProductName,
  CompanyName: (finding) => finding.CompanyName,
};

/** The timestamps GetFindings filters on with a DateFilter (Start and End, both inclusive). */
const DATE_VALUES: Readonly<Record<string, (finding: StoredFinding) => string | undefined>> = {
  CreatedAt: (finding) => finding.CreatedAt,
  UpdatedAt: (finding) => finding.UpdatedAt,
};

/** A DateFilter: an absolute range (Start, End) or a DateRange relative to now (not simulated). */
interface DateFilterEntry {
  readonly Start?: string;
  readonly End?: string;
  readonly DateRange?: unknown;
}

/** Any of the ranges holds the finding's time (Security Hub ORs a field's filters). */
function dateTest(
  entries: readonly DateFilterEntry[],
  read: (finding: StoredFinding) => string | undefined,
): (finding: StoredFinding) => boolean {
  const ranges = entries.map((entry) => {
    if (entry.DateRange !== undefined) throw new Error('the simulator does not filter on DateRange');
    const start = entry.Start === undefined ? Number.NEGATIVE_INFINITY : timeOf(entry.Start);
    const end = entry.End === undefined ? Number.POSITIVE_INFINITY : timeOf(entry.End);
    if (Number.isNaN(start) || Number.isNaN(end))
      throw new Error('a DateFilter Start or End is not a timestamp');
    return { start, end };
  });
  return (finding) => {
    const at = timeOf(read(finding));
    return ranges.some(({ start, end }) => at >= start && at <= end);
  };
}

const POSITIVE = new Set(SECURITY_HUB_MODEL.getFindings.positiveComparisons);

function matchString(actual: string | undefined, value: string, comparison: string): boolean {
  const text = actual ?? '';
  switch (comparison) {
    case 'EQUALS':
      return actual !== undefined && text === value;
    case 'PREFIX':
      return actual !== undefined && text.startsWith(value);
    case 'CONTAINS':
      return text.includes(value);
    case 'NOT_EQUALS':
      return text !== value;
    case 'PREFIX_NOT_EQUALS':
      return !text.startsWith(value);
    case 'NOT_CONTAINS':
      return !text.includes(value);
    default:
      throw new Error(`unknown Comparison ${comparison}`);
  }
}

/**
 * Security Hub's filter logic: filters on different fields are ANDed; for one field, positive
 * comparisons (EQUALS, PREFIX, CONTAINS) are ORed and negative ones ANDed.
 */
function compileFilters(filters: Record<string, unknown>): (finding: StoredFinding) => boolean {
  const tests: ((finding: StoredFinding) => boolean)[] = [];
  for (const [name, raw] of Object.entries(filters)) {
    if (!Array.isArray(raw)) throw new Error(`Filters.${name} must be a list`);
    const entries = raw as FilterEntry[];
    if (name === 'ProductFields') {
      tests.push(groupTest(entries, (finding, entry) => finding.ProductFields?.[entry.Key ?? '']));
      continue;
    }
    const date = DATE_VALUES[name];
    if (date) {
      tests.push(dateTest(raw as DateFilterEntry[], date));
      continue;
    }
    const read = FIELD_VALUES[name];
    if (!read) throw new Error(`the simulator does not filter on ${name}`);
    tests.push(groupTest(entries, (finding) => read(finding)));
  }
  return (finding) => tests.every((test) => test(finding));
}

function groupTest(
  entries: readonly FilterEntry[],
  read: (finding: StoredFinding, entry: { Key?: string }) => string | undefined,
): (finding: StoredFinding) => boolean {
  for (const entry of entries) matchString('', entry.Value ?? '', entry.Comparison ?? 'EQUALS');
  const positive = entries.filter((entry) => POSITIVE.has(entry.Comparison ?? 'EQUALS'));
  const negative = entries.filter((entry) => !POSITIVE.has(entry.Comparison ?? 'EQUALS'));
  return (finding) =>
    (positive.length === 0 ||
      positive.some((entry) =>
        matchString(read(finding, entry), entry.Value ?? '', entry.Comparison ?? 'EQUALS'),
      )) &&
    negative.every((entry) =>
      matchString(read(finding, entry), entry.Value ?? '', entry.Comparison ?? 'EQUALS'),
    );
}

function encodeToken(offset: number, signature: string): string {
  return Buffer.from(JSON.stringify({ offset, signature }), 'utf8').toString('base64url');
}

function decodeToken(token: string): { offset: number; signature: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset?: unknown;
      signature?: unknown;
    };
    if (typeof parsed.offset === 'number' && typeof parsed.signature === 'string') {
      return { offset: parsed.offset, signature: parsed.signature };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The factory the simulator server registers under `securityHub`. */
export const securityHubService: SimServiceFactory = (section, context) =>
  new SecurityHubSim(section, context);
