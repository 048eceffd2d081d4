/**
 * Simulated AWS STS (query protocol, API version 2011-06-15): GetCallerIdentity, AssumeRole and
 * AssumeRoleWithWebIdentity. Issued credentials encode the assumed role's account
 * (test/sim/accounts.ts), so later calls signed with them know their caller account.
 *
 * Roles are declared per account in the scenario: `assumableRoles` (AssumeRole) and
 * `webIdentityTrusts` (AssumeRoleWithWebIdentity from a Google service account, trust pinned on
 * `accounts.google.com:aud`/`:sub` = the service account's numeric id and `:oaud` = the audience).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  accountOfAccessKey,
  isSessionAccessKey,
  SIM_SECRET_ACCESS_KEY,
  sessionAccessKeyId,
} from '../accounts.ts';
import { IdTokenError, verifyIdToken } from '../jwt.ts';
import {
  isQueryCall,
  QueryApiError,
  queryAuthError,
  queryError,
  queryParams,
  queryResult,
} from '../protocols/aws-query.ts';
import type { Scenario, ScenarioAccount } from '../scenario.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';

export const STS_API_VERSION = '2011-06-15';
const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** STS limits: 15 minutes to 12 hours, and at most the role's MaxSessionDuration. */
const MIN_DURATION_SECONDS = 900;
const DEFAULT_DURATION_SECONDS = 3600;
const BASE_USER_NAME = 'certctl-operator';
const ROLE_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Who a simulator access key stands for. */
export interface SimIdentity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string;
}

function validationError(message: string): QueryApiError {
  return new QueryApiError(400, 'ValidationError', message);
}

/** A stable role id (`AROA` + 17 characters), as IAM shows in AssumedRoleId. */
function roleId(account: string, role: string): string {
  const bytes = createHash('sha256').update(`${account}/${role}`).digest();
  let id = 'AROA';
  for (let index = 0; index < 17; index += 1)
    id += ROLE_ID_ALPHABET[(bytes[index] ?? 0) % ROLE_ID_ALPHABET.length];
  return id;
}

/** Simulated STS; `identities` maps the keys it issued to the assumed-role sessions. */
export class StsService implements SimService {
  readonly name = 'sts';
  readonly #accounts: ReadonlyMap<string, ScenarioAccount>;
  readonly #context: SimContext;
  readonly #sessions = new Map<string, SimIdentity>();
  #serial = 0;

  constructor(scenario: Scenario, context: SimContext) {
    this.#accounts = new Map(scenario.accounts.map((account) => [account.id, account]));
    this.#context = context;
  }

  /** The identity behind an access key (base user or assumed-role session), if it is a simulator key. */
  identity(accessKeyId: string): SimIdentity | undefined {
    const session = this.#sessions.get(accessKeyId);
    if (session) return session;
    const account = accountOfAccessKey(accessKeyId);
    if (!account || isSessionAccessKey(accessKeyId)) return undefined;
    return {
      account,
      arn: `arn:aws:iam::${account}:user/${BASE_USER_NAME}`,
      userId: `AIDA${account}SIMUSER`,
    };
  }

  matches(request: SimRequest): boolean {
    return request.signingService === 'sts' || isQueryCall(request, STS_API_VERSION);
  }

  operation(request: SimRequest): string {
    return queryParams(request).get('Action') ?? 'Unknown';
  }

  handle(request: SimRequest): SimResponse {
    const params = queryParams(request);
    const action = params.get('Action') ?? '';
    try {
      switch (action) {
        case 'AssumeRoleWithWebIdentity':
          // Unsigned by design (smithy.api#noAuth): the token is the credential.
          return this.#assumeRoleWithWebIdentity(params);
        case 'GetCallerIdentity':
          return this.#withCaller(request, (caller) =>
            queryResult('GetCallerIdentity', NAMESPACE, {
              UserId: caller.userId,
              Account: caller.account,
              Arn: caller.arn,
            }),
          );
        case 'AssumeRole':
          return this.#withCaller(request, (caller) => this.#assumeRole(params, caller));
        default:
          return queryError(
            400,
            'InvalidAction',
            `Could not find operation ${action} for version ${STS_API_VERSION}`,
            {
              namespace: NAMESPACE,
            },
          );
      }
    } catch (error) {
      if (error instanceof QueryApiError)
        return queryError(error.status, error.code, error.message, { namespace: NAMESPACE });
      throw error;
    }
  }

  throttled(): SimResponse {
    return queryError(400, 'Throttling', 'Rate exceeded', { namespace: NAMESPACE, type: 'Sender' });
  }

  serverError(): SimResponse {
    return queryError(500, 'InternalFailure', 'An internal error occurred.', {
      namespace: NAMESPACE,
      type: 'Receiver',
    });
  }

  unavailable(): SimResponse {
    return queryError(503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.', {
      namespace: NAMESPACE,
      type: 'Receiver',
    });
  }

  #withCaller(request: SimRequest, answer: (caller: SimIdentity) => SimResponse): SimResponse {
    const authError = queryAuthError(request, NAMESPACE);
    if (authError) return authError;
    const caller = this.identity(request.accessKeyId ?? '');
    if (!caller) {
      return queryError(
        403,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        {
          namespace: NAMESPACE,
        },
      );
    }
    return answer(caller);
  }

  #assumeRole(params: URLSearchParams, caller: SimIdentity): SimResponse {
    const { roleArn, account, roleName } = this.#role(params);
    const sessionName = this.#sessionName(params);
    const denied = new QueryApiError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    const role = this.#accounts.get(account)?.assumableRoles.find((candidate) => candidate.name === roleName);
    if (!role) throw denied;
    const trusted = role.trustedAccounts ?? [...this.#accounts.keys()];
    if (!trusted.includes(caller.account)) throw denied;
    const duration = this.#duration(params, role.maxSessionDurationSeconds);
    const issued = this.#issue(account, roleName, sessionName, duration);
    return queryResult('AssumeRole', NAMESPACE, {
      Credentials: issued.credentials,
      AssumedRoleUser: issued.assumedRoleUser,
      PackedPolicySize: 0,
    });
  }

  #assumeRoleWithWebIdentity(params: URLSearchParams): SimResponse {
    const { account, roleName } = this.#role(params);
    const sessionName = this.#sessionName(params);
    const token = params.get('WebIdentityToken') ?? '';
    if (token.length < 4 || token.length > 20_000) {
      throw validationError(
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint",
      );
    }
    let claims: ReturnType<typeof verifyIdToken>;
    try {
      claims = verifyIdToken(token, { now: this.#context.now() });
    } catch (error) {
      if (error instanceof IdTokenError) {
        if (error.problem === 'expired') throw new QueryApiError(400, 'ExpiredTokenException', error.message);
        throw new QueryApiError(
          400,
          'InvalidIdentityToken',
          `Couldn't verify the web identity token: ${error.message}`,
        );
      }
      throw error;
    }
    // The trust policy's conditions: accounts.google.com:oaud = aud, :aud = azp, :sub = sub.
    const trust = this.#accounts
      .get(account)
      ?.webIdentityTrusts.find(
        (candidate) =>
          candidate.role === roleName &&
          candidate.oaud === claims.aud &&
          candidate.serviceAccountId === claims.azp &&
          candidate.serviceAccountId === claims.sub,
      );
    if (!trust)
      throw new QueryApiError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const duration = this.#duration(params, trust.maxSessionDurationSeconds);
    const issued = this.#issue(account, roleName, sessionName, duration);
    return queryResult('AssumeRoleWithWebIdentity', NAMESPACE, {
      Credentials: issued.credentials,
      SubjectFromWebIdentityToken: claims.sub,
      AssumedRoleUser: issued.assumedRoleUser,
      PackedPolicySize: 0,
      Provider: 'accounts.google.com',
      Audience: claims.azp,
    });
  }

  #role(params: URLSearchParams): { roleArn: string; account: string; roleName: string } {
    const roleArn = params.get('RoleArn') ?? '';
    const match = ROLE_ARN.exec(roleArn);
    if (!match?.[1] || !match[2]) throw validationError(`${roleArn || 'RoleArn'} is not a valid role ARN`);
    return { roleArn, account: match[1], roleName: match[2] };
  }

  #sessionName(params: URLSearchParams): string {
    const name = params.get('RoleSessionName') ?? '';
    if (!SESSION_NAME.test(name)) {
      throw validationError(
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: " +
          'Member must satisfy regular expression pattern: [\\w+=,.@-]*, length 2-64',
      );
    }
    return name;
  }

  #duration(params: URLSearchParams, maxSeconds: number): number {
    const raw = params.get('DurationSeconds');
    const seconds = raw === null ? DEFAULT_DURATION_SECONDS : Number(raw);
    if (!Number.isInteger(seconds) || seconds < MIN_DURATION_SECONDS) {
      throw validationError(`DurationSeconds must be at least ${MIN_DURATION_SECONDS}`);
    }
    if (seconds > maxSeconds) {
      throw validationError(
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }
    return seconds;
  }

  #issue(account: string, roleName: string, sessionName: string, durationSeconds: number) {
    this.#serial += 1;
    const accessKeyId = sessionAccessKeyId(account, this.#serial);
    const assumedRoleId = `${roleId(account, roleName)}:${sessionName}`;
    const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;
    this.#sessions.set(accessKeyId, { account, arn, userId: assumedRoleId });
    // Expiry is on the real clock: the SDK refreshes credentials by Date.now(), not the simulator clock.
    const expiration = new Date(Date.now() + durationSeconds * 1000);
    return {
      credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: SIM_SECRET_ACCESS_KEY,
        SessionToken: `sim-session-${randomBytes(24).toString('base64url')}`,
        Expiration: expiration,
      },
      assumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: arn },
    };
  }
}

/** Builds STS from the scenario's accounts. */
export function createStsService(scenario: Scenario, context: SimContext): StsService {
  return new StsService(scenario, context);
}
