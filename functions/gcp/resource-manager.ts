/**
 * The number of a project the policy names by its ID, read from the Cloud Resource Manager API v1:
 * `GET /v1/projects/{projectId}` (projects.get, permission `resourcemanager.projects.get` on that
 * project, https://cloud.google.com/resource-manager/reference/rest/v1/projects/get), whose
 * `Project` carries `projectNumber` ("The number uniquely identifying the project", an int64 sent
 * as a string: https://cloud.google.com/resource-manager/reference/rest/v1/projects). v1, not v3:
 * v1's projects.get takes the project ID, and sends the number as its own field.
 *
 * The dumps audit compares it with a Cloud Storage bucket's `projectNumber` (buckets.get; bucket
 * names are global, so a deleted bucket's name can be taken in another project): ./gcs-dumps.ts.
 * Plain REST through the functions' one Google REST client (./rest-request.ts), as Cloud KMS
 * (./cloud-kms.ts): same signing, retries and endpoint override (the simulator).
 */
import { describeError, refusalAdvice, refusalNotOfPermission } from '../core/errors.ts';
import {
  GcpApiError,
  type GcpRestClient,
  type GoogleApiClientOptions,
  googleApiClient,
  lazyRestClient,
  type RestClientSource,
} from './rest-request.ts';

/** Production base URL of the API. */
export const RESOURCE_MANAGER_URL = 'https://cloudresourcemanager.googleapis.com';
/** The API's service name, which `gcloud services enable` takes. */
const RESOURCE_MANAGER_SERVICE = 'cloudresourcemanager.googleapis.com';
/** The permission projects.get needs, on the project read. */
export const PROJECT_GET_PERMISSION = 'resourcemanager.projects.get';

/** The `Project` members read: all optional, a member not sent is not evaluated. */
export interface GcpProject {
  readonly projectNumber?: unknown;
}

/** The call the dumps audit makes; {@link ResourceManagerRestClient} implements it (failures: GcpApiError). */
export interface ResourceManagerApi {
  getProject(projectId: string): Promise<GcpProject>;
}

export class ResourceManagerRestClient implements ResourceManagerApi {
  readonly #base: string;
  readonly #rest: GcpRestClient;

  constructor(options: GoogleApiClientOptions = {}) {
    ({ base: this.#base, rest: this.#rest } = googleApiClient(options, RESOURCE_MANAGER_URL));
  }

  /** The project as sent; a body that is not JSON reads as `{}` (no number: not evaluated). */
  async getProject(projectId: string): Promise<GcpProject> {
    const body = await this.#rest.getJson(
      `Resource Manager GET projects/${projectId}`,
      `${this.#base}/v1/projects/${encodeURIComponent(projectId)}`,
    );
    return typeof body === 'object' && body !== null ? (body as GcpProject) : {};
  }
}

/** The Resource Manager client of a run, made on its first call ({@link lazyRestClient}). */
export function resourceManagerClientOf(factory: RestClientSource): () => Promise<ResourceManagerApi> {
  return lazyRestClient<ResourceManagerApi>(factory, (options) => new ResourceManagerRestClient(options));
}

/** A project's number, or why it is not known. */
export type ProjectNumberReading =
  | { readonly state: 'read'; readonly value: string }
  | {
      readonly state: 'unknown';
      readonly reason: string;
      /** What to do when no role fixes it (an API not enabled, a token without its scope). */
      readonly remedy?: string;
    };

/**
 * The number of `projectId` (projects.get), or why it is not known: the call refused (403, naming
 * the permission), failed, or answered no number. Never throws.
 */
export async function readProjectNumber(
  api: ResourceManagerApi,
  projectId: string,
): Promise<ProjectNumberReading> {
  const call = `projects.get of ${projectId}`;
  let project: GcpProject;
  try {
    project = await api.getProject(projectId);
  } catch (error) {
    if (error instanceof GcpApiError && error.status === 403) {
      const notOfPermission = refusalNotOfPermission(error, {
        project: projectId,
        service: RESOURCE_MANAGER_SERVICE,
      });
      if (notOfPermission) {
        return {
          state: 'unknown',
          reason: `${call} was refused (${error.reason}): ${notOfPermission}`,
          remedy: refusalAdvice(notOfPermission),
        };
      }
      return {
        state: 'unknown',
        reason: `${call} was denied (${error.code}): the service account that made the call (the audit, snapshot or chat-action function's) needs ${PROJECT_GET_PERMISSION} on ${projectId}`,
      };
    }
    return { state: 'unknown', reason: `${call} failed: ${describeError(error)}` };
  }
  const number = project.projectNumber;
  return typeof number === 'string' && /^\d+$/.test(number)
    ? { state: 'read', value: number }
    : { state: 'unknown', reason: `${call} sent no projectNumber` };
}
