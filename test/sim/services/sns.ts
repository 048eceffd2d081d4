/**
 * Simulated Amazon SNS (query protocol, API version 2010-03-31): `Publish` to the topics of the
 * scenario, where the chat functions post Amazon Q Developer answers. The request is read back into
 * the operation's input and validated against the published model (test/sim/models/chat.json),
 * then against the constraints the API reference states in prose
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): exactly one destination, a
 * non-empty message of at most 256 KB (262,144 bytes), a subject of at most 100 printable ASCII
 * characters without line breaks, `MessageStructure` only `json` with a `default` entry. Errors use
 * the wire codes the model declares (`NotFound`, `InvalidParameter`, `AuthorizationError`).
 * Published messages are kept per topic for tests to read.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  isQueryCall,
  listMembers,
  queryAuthError,
  queryError,
  queryParams,
  queryResult,
} from '../protocols/aws-query.ts';
import { accountIdSchema, regionSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { DeclaredError, modelError, modelViolation } from './json-model.ts';

export const SNS_SERVICE = 'sns';
export const SNS_API_VERSION = '2010-03-31';
const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** The largest message SNS accepts (API_Publish: 256 KB, counted in bytes). */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT = 100;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$/;

const topicSchema = z.strictObject({
  name: z.string().regex(/^[\w-]{1,256}$/, 'must be 1-256 letters, digits, hyphens or underscores'),
  region: regionSchema,
  account: accountIdSchema.default('111111111111'),
});

export const snsSectionSchema = z.strictObject({ topics: z.array(topicSchema).default([]) }).prefault({});

/** One message as SNS accepted it. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly message: string;
  readonly subject: string | undefined;
  readonly attributes: Readonly<Record<string, { readonly DataType: string; readonly StringValue?: string }>>;
  readonly publishedAt: Date;
}

class PublishError extends DeclaredError {}

const invalid = (message: string) => new PublishError('InvalidParameterException', message);

export class SnsService implements SimService {
  readonly name = SNS_SERVICE;
  readonly #topics: ReadonlySet<string>;
  readonly #published: PublishedMessage[] = [];
  readonly #context: SimContext;

  constructor(section: unknown, context: SimContext) {
    const topics = snsSectionSchema.parse(section).topics;
    this.#topics = new Set(topics.map((topic) => topicArn(topic.region, topic.account, topic.name)));
    this.#context = context;
  }

  /** The messages published to `topicArn`, oldest first (every topic when absent). */
  published(topicArn?: string): readonly PublishedMessage[] {
    return this.#published.filter((message) => topicArn === undefined || message.topicArn === topicArn);
  }

  matches(request: SimRequest): boolean {
    return request.signingService === SNS_SERVICE || isQueryCall(request, SNS_API_VERSION);
  }

  operation(request: SimRequest): string {
    return queryParams(request).get('Action') ?? 'Unknown';
  }

  handle(request: SimRequest): SimResponse {
    const authError = queryAuthError(request, NAMESPACE);
    if (authError) return authError;
    const params = queryParams(request);
    const action = params.get('Action') ?? '';
    if (action !== 'Publish') {
      return queryError(400, 'InvalidAction', `The simulated SNS has no action ${action}`, {
        namespace: NAMESPACE,
      });
    }
    try {
      const message = this.#publish(request, params);
      return queryResult('Publish', NAMESPACE, { MessageId: message.messageId });
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      const { code, status } = modelError('sns', 'Publish', error.shape);
      return queryError(status, code, error.message, { namespace: NAMESPACE });
    }
  }

  #publish(request: SimRequest, params: URLSearchParams): PublishedMessage {
    const input = publishInput(params);
    const problem = modelViolation('sns', 'Publish', input);
    if (problem) throw new PublishError('ValidationException', problem);
    const destinations = [input.TopicArn, input.TargetArn, input.PhoneNumber].filter(
      (value) => value !== undefined,
    );
    if (destinations.length !== 1) {
      throw invalid(
        destinations.length === 0
          ? 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter'
          : 'Invalid parameter: only one of TopicArn, TargetArn or PhoneNumber may be given',
      );
    }
    if (input.TopicArn === undefined) {
      throw invalid('Invalid parameter: the simulated SNS publishes to topics only (TopicArn)');
    }
    const arn = TOPIC_ARN.exec(input.TopicArn);
    if (!arn || arn[1] !== request.signingRegion) throw invalid('Invalid parameter: TopicArn');
    if (input.Message.length === 0) throw invalid('Invalid parameter: Empty message');
    if (Buffer.byteLength(input.Message, 'utf8') > MAX_MESSAGE_BYTES) {
      throw invalid('Invalid parameter: Message too long');
    }
    if (
      input.Subject !== undefined &&
      (input.Subject.length === 0 ||
        input.Subject.length > MAX_SUBJECT ||
        !/^[\x20-\x7e]+$/.test(input.Subject))
    ) {
      throw invalid('Invalid parameter: Subject');
    }
    if (input.MessageStructure !== undefined) checkStructure(input.MessageStructure, input.Message);
    if (!this.#topics.has(input.TopicArn))
      throw new PublishError('NotFoundException', 'Topic does not exist');
    if (arn[2] !== request.callerAccount) {
      throw new PublishError(
        'AuthorizationErrorException',
        `User: arn:aws:iam::${request.callerAccount}:user/certctl-operator is not authorized to perform: SNS:Publish on resource: ${input.TopicArn}`,
      );
    }
    const published: PublishedMessage = {
      topicArn: input.TopicArn,
      messageId: randomUUID(),
      message: input.Message,
      subject: input.Subject,
      attributes: input.MessageAttributes ?? {},
      publishedAt: this.#context.now(),
    };
    this.#published.push(published);
    return published;
  }

  throttled(): SimResponse {
    return queryError(400, 'Throttling', 'Rate exceeded', { namespace: NAMESPACE, type: 'Sender' });
  }

  serverError(): SimResponse {
    const { code, status } = modelError('sns', 'Publish', 'InternalErrorException');
    return queryError(status, code, 'Internal Error', { namespace: NAMESPACE, type: 'Receiver' });
  }

  unavailable(): SimResponse {
    return queryError(503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.', {
      namespace: NAMESPACE,
      type: 'Receiver',
    });
  }
}

export function topicArn(region: string, account: string, name: string): string {
  return `arn:aws:sns:${region}:${account}:${name}`;
}

interface PublishInput {
  readonly Message: string;
  readonly TopicArn?: string;
  readonly TargetArn?: string;
  readonly PhoneNumber?: string;
  readonly Subject?: string;
  readonly MessageStructure?: string;
  readonly MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
  readonly [member: string]: unknown;
}

/**
 * The query form read back into Publish's input: scalar members by name, `MessageAttributes` from
 * `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`. Any other parameter
 * is kept under its own name, so the model check names it.
 */
function publishInput(params: URLSearchParams): PublishInput {
  const input: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version' || name.startsWith('MessageAttributes.')) continue;
    input[name] = value;
  }
  const entries = listMembers(params, 'MessageAttributes.entry');
  if (entries.length > 0) {
    input.MessageAttributes = Object.fromEntries(
      entries.map((entry) => {
        const stringValue = params.get(`${entry}.Value.StringValue`);
        return [
          params.get(`${entry}.Name`) ?? '',
          {
            DataType: params.get(`${entry}.Value.DataType`) ?? undefined,
            ...(stringValue === null ? {} : { StringValue: stringValue }),
          },
        ];
      }),
    );
  }
  return input as PublishInput;
}

function checkStructure(structure: string, message: string): void {
  if (structure !== 'json') throw invalid('Invalid parameter: MessageStructure');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  if (typeof (parsed as { default?: unknown } | null)?.default !== 'string') {
    throw invalid('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
}

export function snsService(section: unknown, context: SimContext): SnsService {
  return new SnsService(section, context);
}
