/**
 * What a zod schema accepts at a path, for messages that name the field a mistyped key likely
 * means: the policy's and every function input's "Unrecognized key" say `did you mean "regions"?`.
 */
import { closest } from './closest.ts';
import type * as z from './zod.ts';

/**
 * The parts of a zod schema's definition the walks below follow: an object's fields, the schema a
 * default, optional or pipe wraps, a list's or record's items, a union's forms and discriminator.
 */
type SchemaDefinition = z.core.$ZodTypeDef & {
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly element?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
  readonly discriminator?: string;
};

function definitionOf(schema: z.core.$ZodType): SchemaDefinition {
  return schema._zod.def as SchemaDefinition;
}

/**
 * The field names `schema` accepts in the object at `path` (through defaults, optionals, pipes,
 * lists, named entries and the forms of a union); none when `path` is no object of it.
 */
export function fieldsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const def = definitionOf(schema);
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

/**
 * The forms of a discriminated union at `path` of `schema` whose object takes `key`, each named by
 * its discriminator (`provider: gcp`); none when no such union is there. {@link fieldsAt} merges the
 * fields of every form, so a key of another form (`project` in an AWS dump location) is one of
 * them, and must be named as that form's, not guessed as itself.
 */
export function formsTaking(schema: z.core.$ZodType, path: readonly PropertyKey[], key: string): string[] {
  const def = definitionOf(schema);
  const [first, ...rest] = path;
  if (def.shape) {
    const field = first === undefined ? undefined : def.shape[String(first)];
    return field ? formsTaking(field, rest, key) : [];
  }
  const inner = def.innerType ?? def.in;
  if (inner) return formsTaking(inner, path, key);
  const item = def.element ?? def.valueType;
  if (item) return first === undefined ? [] : formsTaking(item, rest, key);
  const options = def.options ?? [];
  const { discriminator } = def;
  if (first !== undefined || discriminator === undefined) {
    return [...new Set(options.flatMap((option) => formsTaking(option, path, key)))];
  }
  return options.flatMap((option) => {
    const { shape } = definitionOf(option);
    const values = (shape?.[discriminator]?._zod.def as { readonly values?: readonly unknown[] } | undefined)
      ?.values;
    return shape && Object.hasOwn(shape, key) && values
      ? values.map((value) => `${discriminator}: ${String(value)}`)
      : [];
  });
}

/**
 * `; did you mean "regions"?` for unknown `keys` among the `known` fields, or nothing when none is
 * close. A key that is itself a known field belongs to another form of a union there: `formsOf`
 * names those forms (`; "project" goes only with provider: gcp`), and nothing is guessed for it.
 */
export function didYouMeanFields(
  keys: readonly string[],
  known: readonly string[],
  formsOf: (key: string) => readonly string[] = () => [],
): string {
  const otherForms = keys.flatMap((name) => {
    const forms = known.includes(name) ? formsOf(name) : [];
    return forms.length > 0 ? [`; "${name}" goes only with ${forms.join(' or ')}`] : [];
  });
  const guesses = keys.flatMap((name) => {
    const field = known.includes(name) ? undefined : closest(name, known);
    return field === undefined ? [] : [`"${field}"${keys.length > 1 ? ` for "${name}"` : ''}`];
  });
  return `${guesses.length > 0 ? `; did you mean ${guesses.join(', ')}?` : ''}${otherForms.join('')}`;
}

/** `issue` with the fields its unrecognized keys likely mean, from `schema`; any other issue as it is. */
export function withFieldGuesses<I extends z.core.$ZodIssue>(schema: z.core.$ZodType, issue: I): I {
  if (issue.code !== 'unrecognized_keys') return issue;
  const guesses = didYouMeanFields(issue.keys, fieldsAt(schema, issue.path), (key) =>
    formsTaking(schema, issue.path, key),
  );
  return { ...issue, message: `${issue.message}${guesses}` };
}
