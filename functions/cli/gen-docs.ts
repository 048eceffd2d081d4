/** `npm run docs`: regenerate docs/checks.md, docs/policy.md and the help block of README.md. */
import { readFile, writeFile } from 'node:fs/promises';
import { allChecks } from '../checks/index.ts';
import { README_HELP } from './cli.ts';
import { renderCheckCatalog, renderPolicyReference, withHelp } from './docs.ts';

await writeFile('docs/checks.md', renderCheckCatalog(allChecks));
await writeFile('docs/policy.md', renderPolicyReference());
await writeFile('README.md', withHelp(await readFile('README.md', 'utf8'), README_HELP));
process.stdout.write('wrote docs/checks.md, docs/policy.md, README.md (help block)\n');
