#!/usr/bin/env node
// Runs a TypeScript entry point on the pinned Node 24, or says why it cannot: the npm scripts are
// `node functions/cli/pinned-node.mjs <file.ts> [args]`. Plain JavaScript on purpose, so that any
// Node loads it and an old one gets a sentence instead of ERR_UNKNOWN_FILE_EXTENSION and a stack
// trace. Node 24 runs .ts files as is (type stripping: https://nodejs.org/api/typescript.html); the
// repository pins it as the `node` devDependency, whose install script puts it in node_modules/.bin,
// first on PATH under npx and npm scripts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REQUIRED_NODE_MAJOR = 24;

/**
 * Why this Node cannot run the repository's TypeScript, and what to do; undefined when it can.
 * @param {string} what the command the user ran, for the message
 * @param {string} version the running Node's version (process.versions.node)
 * @returns {string | undefined}
 */
export function pinnedNodeProblem(what, version = process.versions.node) {
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  const pinned = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
  const why = existsSync(pinned)
    ? `The pinned Node ${REQUIRED_NODE_MAJOR} is installed (${pinned}) but was not first on PATH: run it as 'npx backup-guard …' or through its npm script from the repository.`
    : `The pinned Node ${REQUIRED_NODE_MAJOR} is missing from node_modules: its install script did not run (was it 'npm ci --ignore-scripts'?). Run 'npm ci' (or 'npm rebuild node'), then try again.`;
  return `${what} needs Node ${REQUIRED_NODE_MAJOR} or later (it is TypeScript that Node ${REQUIRED_NODE_MAJOR} runs directly); this is Node ${version} (${process.execPath}).\n${why}\n`;
}

/** Exit 2 with the reason when this Node cannot run the TypeScript. */
export function requirePinnedNode(/** @type {string} */ what) {
  const problem = pinnedNodeProblem(what);
  if (problem === undefined) return;
  process.stderr.write(problem);
  process.exit(2);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [target, ...args] = process.argv.slice(2);
  if (!target) {
    process.stderr.write('usage: node functions/cli/pinned-node.mjs <file.ts> [args]\n');
    process.exit(2);
  }
  requirePinnedNode(target);
  // A child process, not an import, so the script keeps its own `import.meta.main` and argv.
  const child = spawnSync(process.execPath, [target, ...args], { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
}
