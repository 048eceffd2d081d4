/**
 * Simulated GCE metadata server, on the endpoints a Cloud Function's keyless AWS federation uses:
 *
 * - `GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=…&format=full`:
 *   a Google-style ID token for the default service account, `aud` = the requested audience and
 *   `azp` = `sub` = the service account's numeric unique id (the claims AWS maps to the condition
 *   keys `accounts.google.com:oaud`, `:aud` and `:sub`);
 * - `GET /computeMetadata/v1/instance/service-accounts/default/email` and
 *   `GET /computeMetadata/v1/project/project-id`.
 *
 * As on the real server, every request must carry `Metadata-Flavor: Google` (403 otherwise) and an
 * identity request needs a non-empty audience (400). The scenario can make the identity endpoint
 * refuse (e.g. 404 when the function runs without a service account). Clients reach it through
 * `GCE_METADATA_HOST=127.0.0.1:<port>`, the variable google-auth-library honours too.
 */
import * as z from 'zod';
import { scenarioError } from '../errors.ts';
import { mintIdToken } from '../jwt.ts';
import type { SimContext, SimRequest, SimResponse, SimService, SimServiceFactory } from '../service.ts';

export const GCE_METADATA_SERVICE = 'gceMetadata';

const PREFIX = '/computeMetadata/v1/';
const IDENTITY_PATH = `${PREFIX}instance/service-accounts/default/identity`;
const EMAIL_PATH = `${PREFIX}instance/service-accounts/default/email`;
const PROJECT_PATH = `${PREFIX}project/project-id`;

/** Schema of `services.gceMetadata`. */
export const gceMetadataSectionSchema = z
  .strictObject({
    /** The project the function runs in. */
    projectId: z.string().min(1).default('certctl-prod'),
    serviceAccount: z
      .strictObject({
        email: z.email().default('backup-guard@certctl-prod.iam.gserviceaccount.com'),
        /** The numeric unique id (`gcloud iam service-accounts describe --format='value(uniqueId)'`). */
        uniqueId: z
          .union([z.string(), z.int().nonnegative()])
          .transform(String)
          .pipe(z.string().regex(/^\d{10,30}$/, 'must be the numeric uniqueId (quote it in YAML)'))
          .default('112233445566778899001'),
      })
      .prefault({}),
    /** Lifetime of minted tokens (Google: one hour). */
    tokenLifetimeSeconds: z.int().min(1).max(86_400).default(3600),
    /** Makes the identity endpoint refuse, with this HTTP status and message. */
    refuse: z
      .strictObject({
        status: z.int().min(400).max(599).default(404),
        message: z
          .string()
          .default('The service account was not found or has no identity to mint tokens for.'),
      })
      .optional(),
  })
  .prefault({});

export type GceMetadataScenario = z.input<typeof gceMetadataSectionSchema>;
type Section = z.output<typeof gceMetadataSectionSchema>;

function text(status: number, body: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'metadata-flavor': 'Google' },
    body,
  };
}

/** The simulated metadata server; a `SimService` plus the controls tests use. */
export class GceMetadataSim implements SimService {
  readonly name = GCE_METADATA_SERVICE;
  /** Audiences of the tokens minted so far, oldest first (never the tokens). */
  readonly mintedAudiences: string[] = [];
  #section: Section;

  constructor(section: unknown) {
    const parsed = gceMetadataSectionSchema.safeParse(section);
    if (!parsed.success) {
      throw scenarioError(
        'scenario',
        undefined,
        parsed.error.issues.map((issue) => ({
          path: ['services', GCE_METADATA_SERVICE, ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      );
    }
    this.#section = parsed.data;
  }

  /** Makes the identity endpoint refuse (or, with undefined, answer again). */
  refuse(refusal: { status: number; message: string } | undefined): void {
    this.#section = { ...this.#section, refuse: refusal };
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && request.path.startsWith(PREFIX);
  }

  operation(request: SimRequest): string {
    return request.path.slice(PREFIX.length);
  }

  throttled(): SimResponse {
    return text(429, 'Too many requests.');
  }

  serverError(): SimResponse {
    return text(503, 'Service unavailable.');
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    if (request.headers['metadata-flavor'] !== 'Google') {
      return text(403, 'Missing required header: "Metadata-Flavor: Google".');
    }
    if (request.method !== 'GET') return text(405, 'Method not allowed.');
    const { serviceAccount } = this.#section;
    switch (request.path) {
      case EMAIL_PATH:
        return text(200, serviceAccount.email);
      case PROJECT_PATH:
        return text(200, this.#section.projectId);
      case IDENTITY_PATH: {
        const audience = request.query.get('audience') ?? '';
        if (audience === '') return text(400, 'non-empty audience parameter required');
        const refusal = this.#section.refuse;
        if (refusal) return text(refusal.status, refusal.message);
        this.mintedAudiences.push(audience);
        const token = mintIdToken(
          {
            aud: audience,
            sub: serviceAccount.uniqueId,
            azp: serviceAccount.uniqueId,
            ...(request.query.get('format') === 'full' ? { email: serviceAccount.email } : {}),
          },
          { now: context.now(), lifetimeSeconds: this.#section.tokenLifetimeSeconds },
        );
        return text(200, token);
      }
      default:
        return text(404, `Not found: ${request.path}`);
    }
  }
}

/** The factory the simulator server registers under `gceMetadata`. */
export const gceMetadataService: SimServiceFactory = (section) => new GceMetadataSim(section);
