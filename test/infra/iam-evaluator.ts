/**
 * A small IAM policy evaluator for the infra tests: does a set of synthesized identity-policy
 * statements allow one request (action, resource ARN, request context)? It follows the IAM policy
 * evaluation logic for a single identity policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny wins, else any matching Allow, else the implicit deny. Action and Resource match
 * with `*`/`?` wildcards; the condition operators are the ones our templates use
 * (StringEquals, StringLike, ArnLike, ForAllValues:StringEquals, Null), each key ANDed, each value
 * list ORed; a condition key missing from the context fails every operator but Null and the
 * ForAllValues set operators, as IAM specifies.
 */
import { flatten, type IamStatement } from './support.ts';

/** What a request presents to IAM: the action, one resource, and the condition keys it carries. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys (case as IAM writes them); multi-valued keys (aws:TagKeys) as arrays. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** Concrete values for the template's pseudo parameters. */
export interface Environment {
  readonly partition: string;
  readonly account: string;
}

/** An IAM `*`/`?` wildcard pattern as a regular expression. */
export function glob(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** `arn:<AWS::Partition>:rds:eu-west-1:<AWS::AccountId>:db:*` with the pseudo parameters filled in. */
function concrete(value: unknown, environment: Environment): string {
  // A bare `Fn::GetAtt` (a bucket's ARN) reads as `<LogicalId.Arn>`, as it does inside a join.
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  const text = Array.isArray(getAtt) ? `<${getAtt.join('.')}>` : flatten(value);
  if (typeof text !== 'string') throw new Error(`cannot read resource ${JSON.stringify(value)}`);
  return text
    .replaceAll('<AWS::Partition>', environment.partition)
    .replaceAll('<AWS::AccountId>', environment.account);
}

function values(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** A condition's values with the pseudo parameters filled in (`{ Ref: 'AWS::AccountId' }`, joins). */
function conditionValues(value: unknown, environment: Environment | undefined): string[] {
  return (Array.isArray(value) ? value : [value]).map((item) => {
    if (typeof item === 'string' || environment === undefined) return String(item);
    const ref = (item as { Ref?: unknown }).Ref;
    return concrete(typeof ref === 'string' ? `<${ref}>` : item, environment);
  });
}

function conditionHolds(
  condition: unknown,
  context: AccessRequest['context'] = {},
  environment?: Environment,
): boolean {
  if (condition === undefined) return true;
  return Object.entries(condition as Record<string, Record<string, unknown>>).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      const wanted = conditionValues(expected, environment);
      switch (operator) {
        case 'StringEquals':
          return typeof actual === 'string' && wanted.includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return typeof actual === 'string' && wanted.some((pattern) => glob(pattern).test(actual));
        case 'ForAllValues:StringEquals':
          return actual === undefined || values(actual).every((value) => wanted.includes(value));
        case 'Null':
          return wanted.includes(String(actual === undefined));
        default:
          throw new Error(`the evaluator does not know the condition operator ${operator}`);
      }
    }),
  );
}

function matches(statement: IamStatement, request: AccessRequest, environment: Environment): boolean {
  return (
    statement.Action.some((action) => glob(action).test(request.action)) &&
    statement.Resource.some((resource) => glob(concrete(resource, environment)).test(request.resource)) &&
    conditionHolds(statement.Condition, request.context, environment)
  );
}

/** Whether the statements allow the request. */
export function isAllowed(
  statements: readonly IamStatement[],
  request: AccessRequest,
  environment: Environment,
): boolean {
  const applicable = statements.filter((statement) => matches(statement, request, environment));
  if (applicable.some((statement) => statement.Effect === 'Deny')) return false;
  return applicable.some((statement) => statement.Effect === 'Allow');
}

/** Whether every request of an API call (one per resource it touches, plus dependent actions) is allowed. */
export function allAllowed(
  statements: readonly IamStatement[],
  requests: readonly AccessRequest[],
  environment: Environment,
): boolean {
  return requests.every((request) => isAllowed(statements, request, environment));
}
