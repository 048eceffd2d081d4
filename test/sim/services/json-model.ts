/**
 * Input validation against the published models (test/sim/models/secrets-kms.json and chat.json,
 * extracted from botocore by extract-models.py): required members, types, lengths, enums, list and
 * map sizes, patterns, and no member the model does not define. The first problem is returned as
 * one message, as the services do. Protocol-neutral: each service first turns its wire request
 * (JSON body, query form, headers and URI) into the input object.
 */
import chatModels from '../models/chat.json' with { type: 'json' };
import secretsKmsModels from '../models/secrets-kms.json' with { type: 'json' };

const model = { ...secretsKmsModels, ...chatModels };

interface ShapeNode {
  readonly type: string;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly required?: readonly string[];
  readonly members?: Readonly<Record<string, ShapeNode>>;
  readonly member?: ShapeNode;
  readonly key?: ShapeNode;
  readonly value?: ShapeNode;
  /** Where a member travels in a REST request: `header`, `uri`, `querystring`; absent: the body. */
  readonly location?: string;
  readonly locationName?: string;
}

export type ModelService = keyof typeof model;

/** The operations the model holds for a service. */
export function modelOperations(service: ModelService): string[] {
  return Object.keys(model[service].operations);
}

/** The errors the model declares for an operation. */
export function modelErrors(service: ModelService, operation: string): readonly string[] {
  const operations = model[service].operations as Record<string, { errors: string[] }>;
  return operations[operation]?.errors ?? [];
}

/**
 * An error a service answers, named by the shape the model declares it as (`NotFoundException`);
 * {@link modelError} gives its wire code and status. Thrown inside a handler, rendered once by it.
 */
export class DeclaredError extends Error {
  readonly shape: string;
  constructor(shape: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.shape = shape;
  }
}

/**
 * How an error the operation declares goes on the wire: its code (query protocols answer with the
 * code, e.g. SNS `NotFound` for `NotFoundException`) and HTTP status. Throws for an error the model
 * does not declare for the operation, so a simulator cannot answer with an error the SDK never sees.
 */
export function modelError(
  service: ModelService,
  operation: string,
  shape: string,
): { readonly code: string; readonly status: number } {
  const operations = model[service].operations as Record<
    string,
    { errors: string[]; errorCodes?: Record<string, { code?: string; httpStatusCode?: number }> }
  >;
  const declared = operations[operation];
  if (!declared?.errors.includes(shape)) {
    throw new Error(`the ${service} model declares no ${shape} for ${operation}`);
  }
  const wire = declared.errorCodes?.[shape];
  return { code: wire?.code ?? shape, status: wire?.httpStatusCode ?? 400 };
}

/** The members of an operation's input that travel at `location` (`header`, `uri`, `querystring`). */
export function modelLocatedMembers(
  service: ModelService,
  operation: string,
  location: string,
): readonly { readonly member: string; readonly name: string }[] {
  const operations = model[service].operations as unknown as Record<string, { input: ShapeNode }>;
  const members = operations[operation]?.input.members ?? {};
  return Object.entries(members)
    .filter(([, shape]) => shape.location === location)
    .map(([member, shape]) => ({ member, name: shape.locationName ?? member }));
}

/** The first way `input` breaks the operation's input shape, or undefined when it fits. */
export function modelViolation(service: ModelService, operation: string, input: unknown): string | undefined {
  const operations = model[service].operations as unknown as Record<string, { input: ShapeNode }>;
  const shape = operations[operation]?.input;
  if (!shape) return `unknown operation ${operation}`;
  return violation(shape, input, '');
}

function violation(shape: ShapeNode, value: unknown, path: string): string | undefined {
  const at = path || 'the request';
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return `${at} must be an object`;
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (record[name] === undefined || record[name] === null) return `${join(path, name)} is required`;
      }
      for (const [name, member] of Object.entries(record)) {
        const memberShape = shape.members?.[name];
        if (!memberShape) return `${join(path, name)} is not a member of this request`;
        const problem = violation(memberShape, member, join(path, name));
        if (problem) return problem;
      }
      return undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) return `${at} must be a list`;
      if (shape.min !== undefined && value.length < shape.min)
        return `${at} must have at least ${shape.min} members`;
      if (shape.max !== undefined && value.length > shape.max)
        return `${at} must have at most ${shape.max} members`;
      for (const [index, member] of value.entries()) {
        const problem = shape.member ? violation(shape.member, member, `${at}[${index}]`) : undefined;
        if (problem) return problem;
      }
      return undefined;
    }
    case 'string': {
      if (typeof value !== 'string') return `${at} must be a string`;
      if (shape.min !== undefined && value.length < shape.min)
        return `${at} must be at least ${shape.min} characters`;
      if (shape.max !== undefined && value.length > shape.max)
        return `${at} must be at most ${shape.max} characters`;
      if (shape.enum && !shape.enum.includes(value)) return `${at} must be one of ${shape.enum.join(', ')}`;
      if (shape.pattern && !new RegExp(shape.pattern, 'u').test(value))
        return `${at} must match ${shape.pattern}`;
      return undefined;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at} must be a map`;
      const entries = Object.entries(value as Record<string, unknown>);
      if (shape.min !== undefined && entries.length < shape.min)
        return `${at} must have at least ${shape.min} entries`;
      if (shape.max !== undefined && entries.length > shape.max)
        return `${at} must have at most ${shape.max} entries`;
      for (const [key, entry] of entries) {
        const problem =
          (shape.key ? violation(shape.key, key, `${at} key ${key}`) : undefined) ??
          (shape.value ? violation(shape.value, entry, `${at}.${key}`) : undefined);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'blob':
      return value instanceof Uint8Array || typeof value === 'string' ? undefined : `${at} must be bytes`;
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${at} must be an integer`;
      if (shape.min !== undefined && value < shape.min) return `${at} must be at least ${shape.min}`;
      if (shape.max !== undefined && value > shape.max) return `${at} must be at most ${shape.max}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at} must be a boolean`;
    default:
      return undefined;
  }
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
