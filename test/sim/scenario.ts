/**
 * Scenarios: what the simulated clouds contain. A scenario is a YAML or JSON file with
 * `accounts` (ids, assumable roles, web-identity trusts), `regions` (name and opt-in status) and
 * `services.<name>` sections that each service validates itself (test/sim/services/index.ts).
 *
 * Several files merge into one (`loadScenario(a, b)`): accounts are combined by id, regions by
 * name, and each service section key by key with lists concatenated, so the AWS and GCP demo
 * fleets can live in separate files. Times are written relative to the simulator clock (`-12d`,
 * `-3h`, `-5m`) so a scenario never goes stale. A bad file fails with its name and the field path.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { DEFAULT_ACCOUNT_ID } from './accounts.ts';
import { ScenarioError, type ScenarioIssue, scenarioError } from './errors.ts';
import { accountIdSchema, REGION_OPT_STATUSES, regionSchema } from './scenario-fields.ts';
import { buildSimServices, simServiceRegistrations } from './services/index.ts';

const roleNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name');
/** STS: role sessions last 1 to 12 hours at most, per the role's MaxSessionDuration. */
const maxSessionSchema = z.int().min(3600).max(43_200).default(3600);

const assumableRoleSchema = z.strictObject({
  name: roleNameSchema,
  /** Accounts whose callers may assume the role (default: every scenario account). */
  trustedAccounts: z.array(accountIdSchema).optional(),
  maxSessionDurationSeconds: maxSessionSchema,
});

/**
 * A role trusting a Google service account (principal `accounts.google.com`), with the conditions
 * `accounts.google.com:oaud` = `oaud` and `:aud` = `:sub` = `serviceAccountId`.
 */
const webIdentityTrustSchema = z.strictObject({
  role: roleNameSchema,
  oaud: z.string().min(1),
  serviceAccountId: z
    .string()
    .regex(
      /^\d{6,30}$/,
      "must be the service account's numeric unique id, quoted (YAML would round it as a number)",
    ),
  maxSessionDurationSeconds: maxSessionSchema,
});

const accountSchema = z.strictObject({
  id: accountIdSchema,
  name: z.string().optional(),
  assumableRoles: z.array(assumableRoleSchema).default([]),
  webIdentityTrusts: z.array(webIdentityTrustSchema).default([]),
});

const regionEntrySchema = z.strictObject({
  name: regionSchema,
  optStatus: z.enum(REGION_OPT_STATUSES).default('ENABLED_BY_DEFAULT'),
});

export const scenarioSchema = z
  .strictObject({
    description: z.string().optional(),
    accounts: z.array(accountSchema).default([]),
    regions: z.array(regionEntrySchema).default([]),
    /** One section per service; each registered service validates its own. */
    services: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((scenario, context) => {
    const seenAccounts = new Set<string>();
    scenario.accounts.forEach((account, index) => {
      if (seenAccounts.has(account.id)) {
        context.addIssue({
          code: 'custom',
          path: ['accounts', index, 'id'],
          message: `account ${account.id} is listed twice`,
        });
      }
      seenAccounts.add(account.id);
    });
    const seenRegions = new Set<string>();
    scenario.regions.forEach((region, index) => {
      if (seenRegions.has(region.name)) {
        context.addIssue({
          code: 'custom',
          path: ['regions', index, 'name'],
          message: `region ${region.name} is listed twice`,
        });
      }
      seenRegions.add(region.name);
    });
  });

/** A scenario as written (files, `generateFleet`, tests): defaults may be left out. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario with defaults applied; `services` sections are validated but raw. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioAccount = Scenario['accounts'][number];
export type ScenarioRegion = Scenario['regions'][number];

function zodIssues(error: z.ZodError, prefix: readonly string[] = []): ScenarioIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    return { path: path.length > 0 ? path.join('.') : '(root)', message: issue.message };
  });
}

/**
 * Validates a scenario (top level and every service section) and applies defaults. A scenario
 * without accounts gets the default account 111111111111. `source` and `file` name it in errors.
 */
export function parseScenario(input: unknown, source = 'scenario', file?: string): Scenario {
  const parsed = scenarioSchema.safeParse(input ?? {});
  if (!parsed.success) throw scenarioError(source, file, zodIssues(parsed.error));
  const issues: ScenarioIssue[] = [];
  for (const [name, section] of Object.entries(parsed.data.services)) {
    const registration = simServiceRegistrations.find(
      (candidate) => candidate.name === name && candidate.section,
    );
    if (!registration?.section) {
      const known = simServiceRegistrations
        .filter((candidate) => candidate.section)
        .map((candidate) => candidate.name);
      issues.push({
        path: `services.${name}`,
        message: `no simulated service reads this section (known: ${known.join(', ')})`,
      });
      continue;
    }
    const result = registration.section.safeParse(section ?? {});
    if (!result.success) issues.push(...zodIssues(result.error, ['services', name]));
  }
  if (issues.length > 0) throw scenarioError(source, file, issues);
  const scenario = parsed.data;
  if (scenario.accounts.length === 0) {
    return { ...scenario, accounts: [{ id: DEFAULT_ACCOUNT_ID, assumableRoles: [], webIdentityTrusts: [] }] };
  }
  return scenario;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Objects merge key by key, lists concatenate, anything else: the later value wins. */
function mergeValues(earlier: unknown, later: unknown): unknown {
  if (Array.isArray(earlier) && Array.isArray(later)) return [...earlier, ...later];
  if (isPlainObject(earlier) && isPlainObject(later)) {
    const merged: Record<string, unknown> = { ...earlier };
    for (const [key, value] of Object.entries(later)) {
      merged[key] = key in earlier ? mergeValues(earlier[key], value) : value;
    }
    return merged;
  }
  return later === undefined ? earlier : later;
}

/** Merges lists of entries keyed by `key` (accounts by id, regions by name). */
function mergeKeyed(earlier: unknown, later: unknown, key: string): unknown[] {
  const merged = new Map<string, unknown>();
  const anonymous: unknown[] = [];
  for (const entry of [...(Array.isArray(earlier) ? earlier : []), ...(Array.isArray(later) ? later : [])]) {
    const id = isPlainObject(entry) ? entry[key] : undefined;
    if (id === undefined) {
      anonymous.push(entry);
      continue;
    }
    const name = String(id).padStart(key === 'id' ? 12 : 0, '0');
    merged.set(name, merged.has(name) ? mergeValues(merged.get(name), entry) : entry);
  }
  return [...merged.values(), ...anonymous];
}

/** Merges scenario documents as written, before defaults (so one file's defaults never hide another's values). */
function mergeDocuments(documents: readonly unknown[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const document of documents) {
    if (!isPlainObject(document)) continue;
    merged = {
      ...merged,
      ...document,
      accounts: mergeKeyed(merged.accounts, document.accounts, 'id'),
      regions: mergeKeyed(merged.regions, document.regions, 'name'),
      services: mergeValues(merged.services ?? {}, document.services ?? {}),
    };
  }
  return merged;
}

/**
 * Merges in-memory scenarios (e.g. a generated fleet and a demo file) the way `loadScenario`
 * merges files, then validates the result.
 */
export function mergeScenarios(...inputs: readonly ScenarioInput[]): Scenario {
  inputs.forEach((input, index) => {
    parseScenario(input, `scenario ${index + 1}`);
  });
  const scenario = parseScenario(mergeDocuments(inputs), 'merged scenario');
  checkScenario(scenario, 'merged scenario');
  return scenario;
}

/** Reads one scenario file (YAML, or JSON by extension) without validating it. */
export async function readScenarioFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${(error as Error).message}`, path, [], {
      cause: error,
    });
  }
  const json = extname(path).toLowerCase() === '.json';
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ScenarioError(
      `scenario file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      path,
      [],
      { cause: error },
    );
  }
}

/**
 * Loads and merges scenario files. Each file is validated on its own first, so a bad field is
 * reported with its file; cross-references (an instance's account, a replica's source) are checked
 * on the merged result, where they can span files.
 */
export async function loadScenario(...paths: readonly string[]): Promise<Scenario> {
  if (paths.length === 0)
    throw new ScenarioError('loadScenario needs at least one scenario file', undefined, []);
  const documents: unknown[] = [];
  for (const path of paths) {
    const document = await readScenarioFile(path);
    parseScenario(document, `scenario file ${path}`, path);
    documents.push(document);
  }
  const source =
    paths.length === 1 ? `scenario file ${paths[0]}` : `scenario merged from ${paths.join(', ')}`;
  const scenario = parseScenario(
    mergeDocuments(documents),
    source,
    paths.length === 1 ? paths[0] : undefined,
  );
  checkScenario(scenario, source, paths.length === 1 ? paths[0] : undefined);
  return scenario;
}

/** Builds every service once so cross-reference errors surface when the scenario is loaded. */
function checkScenario(scenario: Scenario, source: string, file?: string): void {
  try {
    buildSimServices(scenario, { now: () => new Date() });
  } catch (error) {
    if (error instanceof ScenarioError) {
      throw new ScenarioError(
        error.message.replace(/^[^\n]*is invalid:/, `${source} is invalid:`),
        file,
        error.issues,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
