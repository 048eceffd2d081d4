/**
 * Policy files for the CLI and the deploy script: JSON, or YAML by extension. Kept apart from the
 * schema so that the functions, which read JSON only, do not bundle a YAML parser.
 */
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PolicyError } from './errors.ts';
import { type Policy, parsePolicy, refuseRepeatedJsonKeys } from './policy.ts';

/** The extensions (lower-cased) of a policy file read as YAML; any other name is read as JSON. */
export const YAML_EXTENSIONS: readonly string[] = ['.yaml', '.yml'];

/**
 * Why a policy file could not be read: a missing one in words, with the directory a relative name
 * was looked for in and, for a YAML name, how to write a starter there; a directory in words; any
 * other error as Node says it.
 */
function whyUnreadable(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'it is a directory; name the policy file in it (a .yaml, .yml or .json file)';
  if (code !== 'ENOENT') return (error as Error).message;
  const where = isAbsolute(path) ? '' : ` in ${process.cwd()}`;
  const init = YAML_EXTENSIONS.includes(extname(path).toLowerCase())
    ? ` ('backup-guard init ${path}' writes a starter policy)`
    : '';
  return `no such file${where}${init}`;
}

/**
 * The file's text, which must be UTF-8 (as YAML 1.2 and JSON are exchanged): a Latin-1 or UTF-16
 * file read as UTF-8 would turn each stray byte into U+FFFD, and a tag value `Zürich` would silently
 * select nothing. A leading BOM, which some editors write, is dropped.
 */
function utf8Text(bytes: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    // The valid prefix re-encodes to the same bytes; the first byte that differs is the bad one.
    const lenient = Buffer.from(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), 'utf8');
    const offset = bytes.findIndex((byte, index) => lenient[index] !== byte);
    throw new PolicyError(
      `policy file ${path} is not UTF-8 text (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset}); save it as UTF-8`,
      [],
      { cause: error },
    );
  }
}

/**
 * What the JSON or YAML parser refused, as it says it, except two documents in one YAML file (two
 * policies pasted together), which the parser words as a call to make (`please use
 * YAML.parseAllDocuments()`): said in words, at the place the second document begins.
 */
function syntaxProblem(error: unknown): string {
  const { code, linePos } = error as { code?: unknown; linePos?: readonly { line: number; col: number }[] };
  const at = linePos?.[0];
  if (code !== 'MULTIPLE_DOCS' || at === undefined) return (error as Error).message;
  return `it holds more than one YAML document (a second begins at line ${at.line}, column ${at.col}); a policy is one document: remove the document marker (--- or ...) and merge the parts`;
}

/** Load a policy file (JSON, or YAML by `.yaml`/`.yml` extension). */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new PolicyError(`cannot read policy file ${path}: ${whyUnreadable(path, error)}`, [], {
      cause: error,
    });
  }
  const text = utf8Text(bytes, path);
  const isYaml = YAML_EXTENSIONS.includes(extname(path).toLowerCase());
  let raw: unknown;
  try {
    // An empty file is an empty policy (all defaults) in either syntax, as an empty YAML document is.
    if (text.trim() === '') raw = {};
    else raw = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // Under a name other than .yaml, .yml or .json the syntax was our choice, not the user's: say
    // it was read as JSON, or a YAML policy saved as policy.txt reads as "not valid .txt".
    const syntax =
      isYaml || extname(path).toLowerCase() === '.json'
        ? extname(path)
        : 'JSON, as which a name not ending in .yaml or .yml is read (name a YAML policy .yaml)';
    throw new PolicyError(`policy file ${path} is not valid ${syntax}: ${syntaxProblem(error)}`, [], {
      cause: error,
    });
  }
  if (!isYaml) refuseRepeatedJsonKeys(text, `policy file ${path}`);
  return parsePolicy(raw, `policy file ${path}`);
}
