/**
 * Answers that are not AWS API answers at all: a proxy, a captive portal or a wrong endpoint override
 * that returns an HTML error page. The SDK then reports its parser's complaint ("XML parse error:
 * mismatched tags …"), which names neither the endpoint nor the status; this turns it into a
 * message that does.
 */
import { CloudApiError, describeError, errorCode, withoutCaller } from '../core/errors.ts';

/** What the SDK attaches to a failed call (`$metadata.httpStatusCode`; `$response` when parsing failed). */
interface SdkFailure {
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly statusCode?: number };
}

/** Whether the SDK could not parse the answer as the service's protocol. */
export function isProtocolGarbage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /parse error|Deserialization error|Unexpected token|is not valid JSON/i.test(error.message);
}

/** The endpoint a client sends to: its override, or the service's public regional endpoint. */
export async function endpointOf(
  client: { readonly config: { readonly endpoint?: unknown } },
  service: string,
  region: string,
): Promise<string> {
  const endpoint = client.config.endpoint;
  if (typeof endpoint === 'function') {
    const resolved = (await endpoint()) as {
      protocol?: string;
      hostname?: string;
      port?: number;
      path?: string;
    };
    if (resolved.hostname) {
      return `${resolved.protocol ?? 'https:'}//${resolved.hostname}${resolved.port ? `:${resolved.port}` : ''}${resolved.path ?? ''}`;
    }
  }
  return `https://${service}.${region}.amazonaws.com`;
}

/** The host name Node's resolver found no address for (`getaddrinfo ENOTFOUND`), on the error or its causes. */
function unresolvedHost(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const fields = current as { code?: unknown; hostname?: unknown; cause?: unknown };
    if (fields.code === 'ENOTFOUND' && typeof fields.hostname === 'string') return fields.hostname;
    current = fields.cause;
  }
  return undefined;
}

/**
 * Why a call in `region` reached no endpoint, when the resolver found no address for a name of that
 * Region's (`rds.eu-west-9.amazonaws.com`): the Region may not exist. The policy and `--region` take
 * any name spelled like a Region, since AWS adds Regions and a list here would refuse the next one,
 * so a Region that does not exist is met here, as a DNS error that never said so. A name outside the
 * Region (an endpoint override's host) says nothing of it: undefined then, as for any other error.
 */
export function unresolvedRegion(error: unknown, region: string): string | undefined {
  const host = unresolvedHost(error);
  if (host === undefined || !host.toLowerCase().split('.').includes(region)) return undefined;
  return `the Region ${region} may not exist (no address was found for its endpoint; \`aws account list-regions\` lists an account's Regions), or DNS cannot be reached from here`;
}

/**
 * `error` with {@link unresolvedRegion}'s words after its message, as a {@link CloudApiError} of the
 * same code keeping it as its cause; `error` itself when they do not apply or it says them already.
 */
export function withUnresolvedRegion(error: unknown, region: string): unknown {
  const why = unresolvedRegion(error, region);
  const message = describeError(error);
  if (why === undefined || message.includes(why)) return error;
  return new CloudApiError(`${message}: ${why}`, errorCode(error), { cause: error });
}

/**
 * A one-line description of an SDK failure in `region`: protocol garbage becomes "the endpoint …
 * answered HTTP 502 with something that is not an AWS API answer"; a name of the Region that did
 * not resolve says the Region may not exist; anything else keeps its message, without the caller's
 * ARN an access-denied one names (core/errors.ts withoutCaller: the scope's own role, known).
 */
export function describeAwsFailure(
  error: unknown,
  region: string,
  endpoint: string,
): { code: string; message: string } {
  if (!isProtocolGarbage(error)) {
    const why = unresolvedRegion(error, region);
    return {
      code: errorCode(error),
      message: `${withoutCaller(describeError(error))}${why ? `: ${why}` : ''}`,
    };
  }
  const failure = error as SdkFailure;
  const status = failure.$metadata?.httpStatusCode ?? failure.$response?.statusCode;
  return {
    code: status === undefined ? 'ProtocolError' : `HTTP${status}`,
    message: `the endpoint ${endpoint} for region ${region} answered${status === undefined ? '' : ` HTTP ${status}`} with something that is not an AWS API answer (an HTML error page: a proxy, a captive portal, a region without this service, or a wrong --endpoint-url)`,
  };
}
