/**
 * Policy files for the CLI and the deploy script: JSON, or YAML by extension. Kept apart from the
 * schema so that the functions, which read JSON only, do not bundle a YAML parser.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PolicyError } from './errors.ts';
import { type Policy, parsePolicy } from './policy.ts';

/** The extensions (lower-cased) of a policy file read as YAML; any other name is read as JSON. */
export const YAML_EXTENSIONS: readonly string[] = ['.yaml', '.yml'];

/** Load a policy file (JSON, or YAML by `.yaml`/`.yml` extension). */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PolicyError(`cannot read policy file ${path}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    // An empty file is an empty policy (all defaults) in either syntax, as an empty YAML document is.
    if (text.trim() === '') raw = {};
    else raw = YAML_EXTENSIONS.includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new PolicyError(
      `policy file ${path} is not valid ${extname(path) || 'JSON'}: ${(error as Error).message}`,
      [],
      {
        cause: error,
      },
    );
  }
  return parsePolicy(raw, `policy file ${path}`);
}
