/**
 * Simulated Cloud Resource Manager API v1, the one read the dumps audit makes: `GET
 * /v1/projects/{projectId}` (projects.get, permission `resourcemanager.projects.get`,
 * https://cloud.google.com/resource-manager/reference/rest/v1/projects/get), answering the
 * `Project` resource with its `projectNumber` (an int64, so a string), `projectId`,
 * `lifecycleState` and `name` (https://cloud.google.com/resource-manager/reference/rest/v1/projects).
 * Every project exists, numbered by {@link simProjectNumber}: the number the simulated Cloud Storage
 * sends as a bucket's `projectNumber` (./gcs.ts), so a bucket the scenario places in another
 * project is another project's. A project the scenario lists in `denied` answers 403
 * PERMISSION_DENIED, as the API does for a caller without the permission; one listed in `disabled`
 * answers 403 PERMISSION_DENIED with the ErrorInfo reason SERVICE_DISABLED, as Google does when the
 * API is not enabled on the project (./google-json.ts serviceDisabled).
 *
 * Scenario section `resourceManager`: `denied: [project-id, …]`, `disabled: [project-id, …]`.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SimRequest, SimResponse, SimService } from '../service.ts';
import { googleError, json, serviceDisabled } from './google-json.ts';

export const RESOURCE_MANAGER_SERVICE = 'resourceManager';
const PATH = /^\/v1\/projects\/([^/:]+)$/;

export const resourceManagerSectionSchema = z
  .strictObject({
    /** Projects whose projects.get answers 403 (the audit's account lacks resourcemanager.projects.get). */
    denied: z
      .array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'))
      .default([]),
    /** Projects on which the Resource Manager API is not enabled (projects.get answers SERVICE_DISABLED). */
    disabled: z
      .array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'))
      .default([]),
  })
  .prefault({});

/** The simulated number of a project: twelve digits, fixed by its id (a real one is assigned at creation). */
export function simProjectNumber(projectId: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(projectId).digest('hex').slice(0, 15)}`);
  return String(100_000_000_000n + (digits % 900_000_000_000n));
}

export class ResourceManagerService implements SimService {
  readonly name = RESOURCE_MANAGER_SERVICE;
  readonly #denied: ReadonlySet<string>;
  readonly #disabled: ReadonlySet<string>;

  constructor(section: unknown) {
    const { denied, disabled } = resourceManagerSectionSchema.parse(section);
    this.#denied = new Set(denied);
    this.#disabled = new Set(disabled);
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && PATH.test(request.path);
  }

  operation(): string {
    return 'projects.get';
  }

  handle(request: SimRequest): SimResponse {
    const projectId = PATH.exec(request.path)?.[1];
    if (!projectId || request.method !== 'GET') {
      return googleError(404, 'NOT_FOUND', `no ${request.method} ${request.path}`);
    }
    if (this.#disabled.has(projectId)) {
      return serviceDisabled(
        'cloudresourcemanager.googleapis.com',
        'Cloud Resource Manager API',
        simProjectNumber(projectId),
      );
    }
    if (this.#denied.has(projectId)) {
      return googleError(
        403,
        'PERMISSION_DENIED',
        `The caller does not have permission (resourcemanager.projects.get on projects/${projectId}).`,
      );
    }
    return json(200, {
      projectNumber: simProjectNumber(projectId),
      projectId,
      lifecycleState: 'ACTIVE',
      name: projectId,
      createTime: '2024-03-01T10:00:00.000Z',
      parent: { type: 'organization', id: '412345678901' },
    });
  }

  throttled(): SimResponse {
    return googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.');
  }

  serverError(): SimResponse {
    return googleError(500, 'INTERNAL', 'Internal error.');
  }
}

export function resourceManagerService(section: unknown): ResourceManagerService {
  return new ResourceManagerService(section);
}
