/**
 * Answers that are not AWS API answers at all: a proxy, a captive portal or a wrong endpoint override
 * that returns an HTML error page. The SDK then reports its parser's complaint ("XML parse error:
 * mismatched tags …"), which names neither the endpoint nor the status; this turns it into a
 * message that does.
 */
import { describeError, errorCode } from '../core/errors.ts';

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

/**
 * A one-line description of an SDK failure in `region`: protocol garbage becomes "the endpoint …
 * answered HTTP 502 with something that is not an AWS API answer"; anything else keeps its message.
 */
export function describeAwsFailure(
  error: unknown,
  region: string,
  endpoint: string,
): { code: string; message: string } {
  if (!isProtocolGarbage(error)) return { code: errorCode(error), message: describeError(error) };
  const failure = error as SdkFailure;
  const status = failure.$metadata?.httpStatusCode ?? failure.$response?.statusCode;
  return {
    code: status === undefined ? 'ProtocolError' : `HTTP${status}`,
    message: `the endpoint ${endpoint} for region ${region} answered${status === undefined ? '' : ` HTTP ${status}`} with something that is not an AWS API answer (an HTML error page: a proxy, a captive portal, a region without this service, or a wrong --endpoint-url)`,
  };
}
