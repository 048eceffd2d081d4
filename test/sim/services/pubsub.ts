/**
 * Simulated Google Cloud Pub/Sub REST API v1, `projects.topics.publish`
 * (`POST /v1/projects/{project}/topics/{topic}:publish`,
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish): the body
 * `{ messages: [{ data, attributes, orderingKey }] }` with `data` base64, answered with
 * `{ messageIds }` in the order of the messages. As strict as the service
 * (https://cloud.google.com/pubsub/quotas#resource_limits and the PubsubMessage reference): 1 to
 * 1,000 messages and at most 10 MB per request; each message has non-empty data or at least one
 * attribute; at most 100 attributes, keys of 1-256 bytes not starting with `goog`, values of at most
 * 1,024 bytes; `data` must be valid base64; no field the message does not define (`messageId` and
 * `publishTime` are set by the service and ignored when sent). An unknown topic is NOT_FOUND.
 * Errors are Google's JSON (`{ error: { code, message, status } }`).
 *
 * Published messages are kept per topic; {@link PubsubService.pushEvents} gives each as the
 * CloudEvent data Eventarc pushes to a function (`{ message: { data, attributes, messageId,
 * publishTime }, subscription }`), so a test runs the subscriber as deployed.
 */
import * as z from 'zod';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { googleError } from './cloud-sql.ts';

export const PUBSUB_SERVICE = 'pubsub';
const PUBLISH_PATH = /^\/v1\/projects\/([^/]+)\/topics\/([^/:]+):publish$/;
const MAX_MESSAGES = 1000;
const MAX_REQUEST_BYTES = 10_000_000;
const MAX_ATTRIBUTES = 100;
const MAX_ATTRIBUTE_KEY_BYTES = 256;
const MAX_ATTRIBUTE_VALUE_BYTES = 1024;
const MAX_ORDERING_KEY_BYTES = 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MESSAGE_FIELDS = new Set(['data', 'attributes', 'orderingKey', 'messageId', 'publishTime']);

const topicSchema = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
  name: z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be a Pub/Sub topic id'),
});

export const pubsubSectionSchema = z.strictObject({ topics: z.array(topicSchema).default([]) }).prefault({});

/** One message as Pub/Sub accepted it. */
export interface PubsubMessage {
  readonly topic: string;
  readonly messageId: string;
  /** As sent: base64. */
  readonly data: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string | undefined;
  readonly publishTime: Date;
}

/** The CloudEvent data Eventarc delivers for a Pub/Sub message (`MessagePublishedData`). */
export interface PubsubPushEvent {
  readonly data: {
    readonly message: {
      readonly data: string;
      readonly attributes?: Readonly<Record<string, string>>;
      readonly messageId: string;
      readonly publishTime: string;
    };
    readonly subscription: string;
  };
}

class PublishRefused extends Error {}

export class PubsubService implements SimService {
  readonly name = PUBSUB_SERVICE;
  readonly #topics: ReadonlySet<string>;
  readonly #messages: PubsubMessage[] = [];
  readonly #context: SimContext;
  #serial = 0;

  constructor(section: unknown, context: SimContext) {
    this.#topics = new Set(
      pubsubSectionSchema
        .parse(section)
        .topics.map((topic) => `projects/${topic.project}/topics/${topic.name}`),
    );
    this.#context = context;
  }

  /** The messages published to `topic` (`projects/p/topics/t`), oldest first. */
  messages(topic: string): readonly PubsubMessage[] {
    return this.#messages.filter((message) => message.topic === topic);
  }

  /** The messages of `topic` as Eventarc pushes them to the subscribed function. */
  pushEvents(topic: string): PubsubPushEvent[] {
    const [, project, name] = /^projects\/([^/]+)\/topics\/(.+)$/.exec(topic) ?? [];
    return this.messages(topic).map((message) => ({
      data: {
        message: {
          data: message.data,
          ...(Object.keys(message.attributes).length > 0 ? { attributes: message.attributes } : {}),
          messageId: message.messageId,
          publishTime: message.publishTime.toISOString(),
        },
        subscription: `projects/${project}/subscriptions/eventarc-${name}-sub`,
      },
    }));
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && PUBLISH_PATH.test(request.path);
  }

  operation(): string {
    return 'topics.publish';
  }

  handle(request: SimRequest): SimResponse {
    const match = PUBLISH_PATH.exec(request.path);
    if (!match || request.method !== 'POST') {
      return googleError('NOT_FOUND', `No API route for ${request.method} ${request.path}`);
    }
    const topic = `projects/${decodeURIComponent(match[1] ?? '')}/topics/${decodeURIComponent(match[2] ?? '')}`;
    try {
      const messages = this.#validate(request.body);
      if (!this.#topics.has(topic))
        return googleError('NOT_FOUND', `Resource not found (resource=${match[2]}).`);
      const now = this.#context.now();
      const accepted = messages.map((message) => {
        this.#serial += 1;
        const stored: PubsubMessage = {
          topic,
          messageId: String(10_000_000_000_000 + this.#serial),
          data: message.data ?? '',
          attributes: message.attributes ?? {},
          orderingKey: message.orderingKey,
          publishTime: now,
        };
        this.#messages.push(stored);
        return stored.messageId;
      });
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({ messageIds: accepted }),
      };
    } catch (error) {
      if (error instanceof PublishRefused) return googleError('INVALID_ARGUMENT', error.message);
      throw error;
    }
  }

  #validate(body: Buffer): { data?: string; attributes?: Record<string, string>; orderingKey?: string }[] {
    if (body.length > MAX_REQUEST_BYTES) {
      throw new PublishRefused(`Request payload size exceeds the limit: ${MAX_REQUEST_BYTES} bytes.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new PublishRefused('Invalid JSON payload received. Unexpected token.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PublishRefused('Invalid JSON payload received. Expected an object.');
    }
    for (const name of Object.keys(parsed)) {
      if (name !== 'messages') {
        throw new PublishRefused(`Invalid JSON payload received. Unknown name "${name}": Cannot find field.`);
      }
    }
    const messages = (parsed as { messages?: unknown }).messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new PublishRefused('The request contains no messages (messages must hold 1 to 1000).');
    }
    if (messages.length > MAX_MESSAGES) {
      throw new PublishRefused(
        `The value for message_count is too large. You passed ${messages.length} in the request, but the maximum value is ${MAX_MESSAGES}.`,
      );
    }
    return messages.map((message, index) => checkMessage(message, `messages[${index}]`));
  }

  throttled(): SimResponse {
    return googleError(
      'RESOURCE_EXHAUSTED',
      "Quota exceeded for quota metric 'Regional publisher throughput, kB' of service 'pubsub.googleapis.com'.",
    );
  }

  serverError(): SimResponse {
    return googleError('UNAVAILABLE', 'The service is currently unavailable.');
  }
}

function checkMessage(
  value: unknown,
  at: string,
): { data?: string; attributes?: Record<string, string>; orderingKey?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PublishRefused(`Invalid value at '${at}': expected a PubsubMessage object.`);
  }
  const message = value as Record<string, unknown>;
  for (const name of Object.keys(message)) {
    if (!MESSAGE_FIELDS.has(name)) {
      throw new PublishRefused(
        `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`,
      );
    }
  }
  const { data, attributes, orderingKey } = message;
  if (data !== undefined && (typeof data !== 'string' || !BASE64.test(data))) {
    throw new PublishRefused(
      `Invalid value at '${at}.data' (TYPE_BYTES), Base64 decoding failed for "${String(data).slice(0, 40)}"`,
    );
  }
  if (attributes !== undefined) checkAttributes(attributes, `${at}.attributes`);
  if (
    orderingKey !== undefined &&
    (typeof orderingKey !== 'string' || Buffer.byteLength(orderingKey) > MAX_ORDERING_KEY_BYTES)
  ) {
    throw new PublishRefused(
      `Invalid value at '${at}.ordering_key': at most ${MAX_ORDERING_KEY_BYTES} bytes.`,
    );
  }
  const hasAttributes = attributes !== undefined && Object.keys(attributes as object).length > 0;
  if ((data === undefined || data === '') && !hasAttributes) {
    throw new PublishRefused(
      `Some messages are empty: ${at} must contain either a non-empty data field or at least one attribute.`,
    );
  }
  return message as { data?: string; attributes?: Record<string, string>; orderingKey?: string };
}

function checkAttributes(value: unknown, at: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PublishRefused(`Invalid value at '${at}': expected a map of strings.`);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new PublishRefused(
      `${at} has ${entries.length} attributes; a message may have at most ${MAX_ATTRIBUTES}.`,
    );
  }
  for (const [key, attribute] of entries) {
    if (typeof attribute !== 'string')
      throw new PublishRefused(`Invalid value at '${at}[${key}]': expected a string.`);
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes === 0 || keyBytes > MAX_ATTRIBUTE_KEY_BYTES) {
      throw new PublishRefused(
        `The attribute key "${key.slice(0, 40)}" must be 1 to ${MAX_ATTRIBUTE_KEY_BYTES} bytes.`,
      );
    }
    if (key.startsWith('goog')) {
      throw new PublishRefused(`The attribute key "${key}" is reserved: keys must not start with "goog".`);
    }
    if (Buffer.byteLength(attribute) > MAX_ATTRIBUTE_VALUE_BYTES) {
      throw new PublishRefused(`The value of attribute "${key}" exceeds ${MAX_ATTRIBUTE_VALUE_BYTES} bytes.`);
    }
  }
}

export function pubsubService(section: unknown, context: SimContext): PubsubService {
  return new PubsubService(section, context);
}
