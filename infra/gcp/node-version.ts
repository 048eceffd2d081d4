/**
 * The deploy script is TypeScript that Node runs as is (type stripping). The pinned Node 24 (the
 * `node` devDependency, first on PATH under `npm run` and `npx`) runs it; an older Node either cannot
 * load a `.ts` file at all or lacks what the script uses (`import.meta.main`, Node 24.2), and would
 * otherwise fail with a stack trace or, worse, exit 0 having done nothing.
 */

/** The lowest Node major the deploy script runs on. */
export const REQUIRED_NODE_MAJOR = 24;

/** Why `version` (e.g. `process.versions.node`) cannot run the script and how to run it; `undefined` when it can. */
export function unsupportedNodeMessage(version: string, script = 'infra/gcp/deploy.ts'): string | undefined {
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  return [
    `${script} needs Node ${REQUIRED_NODE_MAJOR} or later (it is TypeScript that Node ${REQUIRED_NODE_MAJOR} runs directly); this is Node ${version}.`,
    'Run it with the Node the repository pins (npm ci installs it):',
    '  npm run deploy:gcp -- --project <id> --region <region> [options]',
    `  npx node ${script} --project <id> --region <region> [options]`,
  ].join('\n');
}
