#!/usr/bin/env node
// The `backup-guard` executable (package.json "bin", run by `npx backup-guard`). Plain JavaScript
// on purpose: it must load on any Node to say why an old one cannot run the TypeScript CLI, instead
// of Node's ERR_UNKNOWN_FILE_EXTENSION stack trace. Node 24 runs .ts files as is (type stripping,
// https://nodejs.org/api/typescript.html); the repository pins it as the `node` devDependency, whose
// install script puts it in node_modules/.bin, first on PATH under npx and npm scripts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number.parseInt(process.versions.node.split('.')[0] ?? '', 10);

if (major < REQUIRED_MAJOR) {
  const pinned = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
  const why = existsSync(pinned)
    ? `The pinned Node 24 is installed (${pinned}) but was not first on PATH: run the CLI as 'npx backup-guard …' or 'npm run backup-guard -- …' from the repository.`
    : "The pinned Node 24 is missing from node_modules: its install script did not run (was it 'npm ci --ignore-scripts'?). Run 'npm ci' (or 'npm rebuild node'), then 'npx backup-guard …'.";
  process.stderr.write(
    `backup-guard needs Node ${REQUIRED_MAJOR} or later (it is TypeScript that Node ${REQUIRED_MAJOR} runs directly); this is Node ${process.versions.node} (${process.execPath}).\n${why}\n`,
  );
  process.exit(2);
}

await import('./main.ts');
