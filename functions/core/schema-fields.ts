/**
 * What a zod schema accepts at a path, for messages that name the field a mistyped key likely
 * means: the policy's and every function input's "Unrecognized key" say `did you mean "regions"?`.
 */
import { closest } from './closest.ts';
import type * as z from './zod.ts';

/**
 * The field names `schema` accepts in the object at `path` (through defaults, optionals, pipes,
 * lists, named entries and the forms of a union); none when `path` is no object of it.
 */
export function fieldsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const def = schema._zod.def as z.core.$ZodTypeDef & {
    readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
    readonly innerType?: z.core.$ZodType;
    readonly in?: z.core.$ZodType;
    readonly element?: z.core.$ZodType;
    readonly valueType?: z.core.$ZodType;
    readonly options?: readonly z.core.$ZodType[];
  };
  const [first, ...rest] = path;
  if (def.shape) {
    const field = first === undefined ? undefined : def.shape[String(first)];
    return first === undefined ? Object.keys(def.shape) : field ? fieldsAt(field, rest) : [];
  }
  const inner = def.innerType ?? def.in;
  if (inner) return fieldsAt(inner, path);
  const item = def.element ?? def.valueType;
  if (item) return first === undefined ? [] : fieldsAt(item, rest);
  return [...new Set((def.options ?? []).flatMap((option) => fieldsAt(option, path)))];
}

/** `; did you mean "regions"?` for unknown `keys` among the `known` fields, or nothing when none is close. */
export function didYouMeanFields(keys: readonly string[], known: readonly string[]): string {
  const guesses = keys.flatMap((name) => {
    const field = closest(name, known);
    return field === undefined ? [] : [`"${field}"${keys.length > 1 ? ` for "${name}"` : ''}`];
  });
  return guesses.length > 0 ? `; did you mean ${guesses.join(', ')}?` : '';
}

/** `issue` with the fields its unrecognized keys likely mean, from `schema`; any other issue as it is. */
export function withFieldGuesses<I extends z.core.$ZodIssue>(schema: z.core.$ZodType, issue: I): I {
  if (issue.code !== 'unrecognized_keys') return issue;
  return {
    ...issue,
    message: `${issue.message}${didYouMeanFields(issue.keys, fieldsAt(schema, issue.path))}`,
  };
}
