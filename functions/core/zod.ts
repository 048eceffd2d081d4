/**
 * zod as the deployed code uses it: `zod/mini` (the same zod 4 package), whose schemas are built
 * about twice as fast as classic zod's and whose module is a fraction of the size, both of which a
 * cold start pays for. Every module under functions/ imports `z` from here (`import * as z from
 * '../core/zod.ts'`), never from 'zod' itself.
 *
 * Classic zod loads the English messages on its own when it builds its first schema
 * (`_ensureDefaultLocale` in zod/v4/classic/schemas.js); zod/mini loads none, and every built-in
 * issue would read as a bare "Invalid input". Configured here, once, so the policy, event and
 * chat-command errors read as they always have ("Invalid input: expected string, received number").
 * The locale is imported by its own path, not through `z.locales`, so a bundle holds English alone.
 *
 * Classic zod also installs its memoizer, which only lets a recursive schema (`z.lazy`) parse a
 * cyclic input; none of these schemas is recursive, so mini goes without it.
 */

import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';

/**
 * `schema` with a description for the generated docs (functions/cli/docs.ts, `z.toJSONSchema`):
 * what classic zod's `.describe()` does, a copy registered in the global registry, so one schema
 * described twice (the chatops permissions) keeps each description apart.
 */
export function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, { description });
  return copy;
}
