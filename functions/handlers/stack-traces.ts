/**
 * Source-mapped stack traces for the deployed function bundles, paid for only when a trace is
 * printed. esbuild injects this file first into every function bundle (infra/bundling.ts).
 *
 * Why not `NODE_OPTIONS=--enable-source-maps`: Node then reads and parses each bundle file's map as
 * the file loads, about 30 ms of CPU of a cold start's ~200 ms module init (`npm run bench:bundles`
 * measures init as deployed), and again for every chunk loaded on demand. Traces are rare: logs
 * carry messages, not stacks (`describeError` in functions/core/errors.ts), so a trace is printed
 * only when something crashes. Here a trace maps each frame through the `.map` beside its bundle
 * file (`sourceMappingURL` is always `<file>.map`: the bundles' maps are linked), read and parsed on
 * the first trace that passes through that file; a file without a map keeps its frames as they are.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each bundle file's parsed map; `null` when it has none (Node's own modules, the Functions Framework). */
const maps = new Map<string, SourceMap | null>();

function mapOf(path: string): SourceMap | null {
  let map = maps.get(path);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(path, map);
  }
  return map;
}

/**
 * The source file where it was when the bundle was built, as `--enable-source-maps` prints it: the
 * map's sources are relative to the map (`../../functions/aws/rds.ts`).
 */
function sourcePath(mapped: string, source: string): string {
  return source.startsWith('/') || /^[a-z]+:/.test(source) ? source : resolve(dirname(mapped), source);
}

/** One frame as V8 prints it, with the bundle position replaced by the source file:line:column. */
export function mappedFrame(site: NodeJS.CallSite): string {
  const text = String(site);
  const fileName = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!fileName || line === null || column === null) return text;
  let path: string;
  try {
    path = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
  } catch {
    return text;
  }
  if (!path.startsWith('/')) return text;
  const entry = mapOf(path)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry)) return text;
  const generated = `${fileName}:${line}:${column}`;
  const original = `${sourcePath(path, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return text.includes(generated) ? text.replace(generated, original) : `${text} [${original}]`;
}

/** `Error.prepareStackTrace`: V8's own format (`Name: message` then `    at` lines), frames mapped. */
export function mappedStack(error: unknown, sites: readonly NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = 'Error';
  }
  return [head, ...sites.map((site) => `    at ${mappedFrame(site)}`)].join('\n');
}

// Node's own source maps win when someone turns them on (NODE_OPTIONS=--enable-source-maps).
if (!process.sourceMapsEnabled) Error.prepareStackTrace = mappedStack;
