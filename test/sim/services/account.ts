/**
 * Simulated AWS Account Management API (REST-JSON): `ListRegions` (`POST /listRegions`, body
 * `{ AccountId, MaxResults, NextToken, RegionOptStatusContains }`), answering with the scenario's
 * regions and their opt-in status. MaxResults is 1–50 (Account API reference).
 */
import { jsonBody, jsonError, jsonResponse, restJsonAuthError } from '../protocols/rest-json.ts';
import type { Scenario, ScenarioRegion } from '../scenario.ts';
import { REGION_OPT_STATUSES } from '../scenario-fields.ts';
import type { SimRequest, SimResponse, SimService } from '../service.ts';

const MAX_RESULTS = 50;
const OPERATIONS: Readonly<Record<string, string>> = { '/listRegions': 'ListRegions' };

interface ListRegionsInput {
  AccountId?: unknown;
  MaxResults?: unknown;
  NextToken?: unknown;
  RegionOptStatusContains?: unknown;
}

function validation(message: string): SimResponse {
  return jsonError(400, 'ValidationException', message, { reason: 'invalidRegionOptTarget' });
}

/** Simulated Account API. */
export class AccountService implements SimService {
  readonly name = 'account';
  readonly #regions: readonly ScenarioRegion[];

  constructor(scenario: Scenario) {
    this.#regions = [...scenario.regions].sort((a, b) => a.name.localeCompare(b.name));
  }

  matches(request: SimRequest): boolean {
    return request.signingService === 'account';
  }

  operation(request: SimRequest): string {
    return OPERATIONS[request.path] ?? `${request.method} ${request.path}`;
  }

  handle(request: SimRequest): SimResponse {
    const authError = restJsonAuthError(request);
    if (authError) return authError;
    if (request.method !== 'POST' || request.path !== '/listRegions') {
      return jsonError(
        404,
        'UnknownOperationException',
        `The simulated Account API has no ${request.method} ${request.path}`,
      );
    }
    const input = jsonBody(request.body) as ListRegionsInput | undefined;
    if (!input || typeof input !== 'object') return validation('The request body is not a JSON object');
    const maxResults = input.MaxResults ?? MAX_RESULTS;
    if (
      typeof maxResults !== 'number' ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > MAX_RESULTS
    ) {
      return validation(`MaxResults must be an integer between 1 and ${MAX_RESULTS}`);
    }
    const statuses = input.RegionOptStatusContains ?? [];
    if (!Array.isArray(statuses) || statuses.some((status) => !REGION_OPT_STATUSES.includes(status))) {
      return validation(`RegionOptStatusContains values must be among ${REGION_OPT_STATUSES.join(', ')}`);
    }
    let offset = 0;
    if (input.NextToken !== undefined) {
      const match =
        typeof input.NextToken === 'string'
          ? /^sim-regions:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64url').toString('utf8'))
          : null;
      if (!match) return validation('NextToken is not valid');
      offset = Number(match[1]);
    }
    const wanted = new Set<string>(statuses);
    const regions =
      wanted.size > 0 ? this.#regions.filter((region) => wanted.has(region.optStatus)) : this.#regions;
    const end = offset + maxResults;
    return jsonResponse(200, {
      Regions: regions
        .slice(offset, end)
        .map((region) => ({ RegionName: region.name, RegionOptStatus: region.optStatus })),
      ...(end < regions.length ? { NextToken: Buffer.from(`sim-regions:${end}`).toString('base64url') } : {}),
    });
  }

  throttled(): SimResponse {
    return jsonError(429, 'TooManyRequestsException', 'Rate exceeded');
  }

  serverError(): SimResponse {
    return jsonError(500, 'InternalServerException', 'An internal error occurred.');
  }

  unavailable(): SimResponse {
    return jsonError(503, 'ServiceUnavailableException', 'Service is unavailable. Please try again later.');
  }
}

export function createAccountService(scenario: Scenario): AccountService {
  return new AccountService(scenario);
}
