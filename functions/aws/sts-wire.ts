/**
 * STS `GetCallerIdentity`, the call every audit of the caller's own account makes first and every
 * other call waits for, on the lean request path (functions/aws/lean-wire.ts). Through the SDK, a
 * new instance's first call ran the STS client's whole middleware stack, endpoint ruleset,
 * auth-scheme resolution and query serialization before its request was made (about 9-11 ms of CPU
 * on the 2-core benchmark machine), and its XML deserializer on the answer: all of it between the
 * audit's start and its first S3, RDS or Secrets Manager request. With its route readied ahead
 * ({@link prepareCallerIdentity}, at the planner's preparation, which a Lambda runs at init), the
 * call is signed and sent at once.
 *
 * The request is the SDK's own, unchanged: the form body `Action=GetCallerIdentity&Version=…` the
 * probe shows (the operation takes no input), to the endpoint and with the signer the client
 * resolves. Only a clean 2xx `<GetCallerIdentityResponse>` is decoded here, to the members the SDK
 * reads (`UserId`, `Account`, `Arn`); any other answer, every error and any failure to send goes to
 * the SDK, which builds its error and retries as it always does.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import {
  collectBody,
  type LeanClient,
  type LeanProtocol,
  prepareLean,
  sendLean,
  type WireRequest,
} from './lean-wire.ts';
import { decodeXmlResult, type Shape, XmlWireError } from './xml-wire.ts';

/** The GetCallerIdentity members the SDK decodes. */
export const CALLER_IDENTITY: Shape = { UserId: 'string', Account: 'string', Arn: 'string' };

/** What the audits read of a GetCallerIdentity answer. */
export type CallerIdentity = Pick<GetCallerIdentityCommandOutput, '$metadata' | 'UserId' | 'Account' | 'Arn'>;

/** The members {@link CALLER_IDENTITY} names of a successful answer (XmlWireError for any other body). */
export function decodeCallerIdentity(xml: string): Record<string, unknown> {
  return decodeXmlResult(xml, ['GetCallerIdentityResponse', 'GetCallerIdentityResult'], CALLER_IDENTITY);
}

type Input = Record<string, never>;

const callerIdentityProtocol: LeanProtocol<Input, WireRequest, CallerIdentity> = {
  // STS endpoints depend on the client alone (Region, FIPS, dual-stack), never on the input.
  routeKey: () => '',
  template: (request) =>
    request.method === 'POST' &&
    request.headers['content-type'] === 'application/x-www-form-urlencoded' &&
    request.body?.startsWith('Action=GetCallerIdentity&')
      ? request
      : undefined,
  // The operation takes no input: the probe's request is every call's.
  build: (request, input) => (Object.keys(input).length === 0 ? request : undefined),
  async decode(response, collect) {
    const bytes = await collectBody(response.body, collect);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return { output: decodeCallerIdentity(text) as CallerIdentity };
    } catch (error) {
      if (!(error instanceof XmlWireError)) throw error;
    }
    // The SDK reads it as its own collector's answer: a plain Uint8Array of its own.
    response.body = new Uint8Array(bytes);
    return undefined;
  },
};

/** `client.send(new GetCallerIdentityCommand({}))` as the caller reads it (lean on a clean success). */
export function getCallerIdentity(client: LeanClient): Promise<CallerIdentity> {
  return sendLean(client, GetCallerIdentityCommand, callerIdentityProtocol, {});
}

/**
 * Ready `client`'s GetCallerIdentity route (the probe runs the client's middleware up to the build
 * step, resolving its endpoint, auth scheme and credentials, and sends nothing). Resolves once done;
 * a probe that failed (no credentials yet) is tried again by the call, which reports why.
 */
export async function prepareCallerIdentity(client: LeanClient): Promise<void> {
  await prepareLean(client, GetCallerIdentityCommand, callerIdentityProtocol, {});
}
