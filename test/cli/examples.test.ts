/**
 * The policies in examples/ load, pass the deployment rules, and say what their comments claim; the
 * policy snippets and function events the docs show are accepted as written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PolicyError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { loadPolicyFile } from '../../functions/core/policy-file.ts';
import { auditInputSchema } from '../../functions/handlers/aws/audit-handler.ts';
import { readinessEventSchema } from '../../functions/handlers/aws/readiness.ts';
import { parseSnapshotEvent } from '../../functions/handlers/aws/snapshot.ts';
import { auditRequestSchema } from '../../functions/handlers/gcp/audit-function.ts';
import { parseSnapshotFunctionRequest } from '../../functions/handlers/gcp/snapshot.ts';
import { loadDeploymentPolicy } from '../../infra/gcp/deploy.ts';
import { validateGcpDeployablePolicy } from '../../infra/gcp/plan.ts';
import { validateDeployablePolicy } from '../../infra/policy-context.ts';

describe('examples/', () => {
  it('ships exactly the minimal, multi-account and GCP policies', async () => {
    expect((await readdir('examples')).sort()).toEqual(['gcp.yaml', 'minimal.yaml', 'multi-account.yaml']);
  });

  it('audits two regions of the signed-in account with the defaults when minimal.yaml', async () => {
    // Act
    const policy = await loadPolicyFile('examples/minimal.yaml');

    // Assess
    expect(policy.aws).toMatchObject({ regions: ['eu-west-1', 'us-east-1'], accounts: [] });
    expect(policy.pitr.minPitrDays).toBe(30);
    expect(() => validateDeployablePolicy(policy)).not.toThrow();
  });

  it('reads two member accounts through one role name and publishes when multi-account.yaml', async () => {
    // Act
    const policy = await loadPolicyFile('examples/multi-account.yaml');

    // Assess
    expect(policy.aws.accounts.map((account) => account.accountId)).toEqual(['222222222222', '333333333333']);
    expect(policy.securityHub.enabled).toBe(true);
    expect(policy.pitr.minPitrDays).toBe(35);
    expect(() => validateDeployablePolicy(policy)).not.toThrow();
  });

  it('audits Cloud SQL in two projects and passes the GCP deployment rules when gcp.yaml', async () => {
    // Act
    const policy = await loadDeploymentPolicy('examples/gcp.yaml');

    // Assess
    expect(policy.gcp.projects).toEqual(['certctl-prod', 'certctl-staging']);
    expect(policy.securityHub).toMatchObject({
      centralAccountId: '111111111111',
      centralRegion: 'eu-west-1',
    });
    expect(() => validateGcpDeployablePolicy(policy)).not.toThrow();
  });

  it('parses every policy snippet of README.md and docs/deploy.md, the keys sketch short only of the items it leaves out', async () => {
    // Prepare: every ```yaml block, at its own indentation (a block inside a list item is indented).
    const blocks = (
      await Promise.all(['README.md', 'docs/deploy.md'].map((file) => readFile(file, 'utf8')))
    ).flatMap((text) =>
      [...text.matchAll(/^( *)```yaml\n([\s\S]*?)^ *```/gm)].map(([, indent = '', body = '']) =>
        body
          .split('\n')
          .map((line) => line.slice(indent.length))
          .join('\n'),
      ),
    );

    // Act: the problems each snippet has as a policy.
    const problems = blocks.map((block) => {
      try {
        parsePolicy(parse(block));
        return [];
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
      }
    });

    // Assess: README's keys sketch says "every other preset item" is left out; nothing else is wrong.
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(
      problems.flat().filter((problem) => !/^keys\.items\.[\w.-]+: .* is not mapped:/.test(problem)),
    ).toEqual([]);
  });
});

describe('function events in docs/deploy.md', () => {
  it('are accepted, as written, by the schema of the function each is sent to', async () => {
    // Prepare: the ```json blocks (the snapshot Lambda's event; the snapshot Cloud Function's bodies,
    // one a line) and the inline events, each found by the sentence that shows it.
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const blocks = [...deploy.matchAll(/^```json\n([\s\S]*?)^```/gm)].map(([, body = '']) => body);
    const inline = (before: string): unknown => {
      const match = new RegExp(`${before}[^\`]*\`(\\{[^\`]*\\})\``).exec(deploy.replace(/\s+/g, ' '));
      if (!match?.[1]) throw new Error(`docs/deploy.md shows no event after '${before}'`);
      return JSON.parse(match[1]);
    };
    const [lambdaEvent = '', functionBodies = ''] = blocks;

    // Act: each through its function's own parser, as the function reads it.
    const reads = [
      () => parseSnapshotEvent(JSON.parse(lambdaEvent)),
      ...functionBodies
        .trim()
        .split('\n')
        .map((line) => () => parseSnapshotFunctionRequest(JSON.parse(line))),
      () => auditInputSchema.parse(inline("The schedule's input may narrow a run:")),
      () =>
        readinessEventSchema.parse(
          inline('Invoke it synchronously \\(`RequestResponse`\\) with `\\{\\}` \\(or'),
        ),
      () => auditRequestSchema.parse(inline('A body of your own may narrow a run,')),
      () => parseSnapshotFunctionRequest(inline('OIDC token\\) posts')),
    ];

    // Assess
    expect(blocks).toHaveLength(2);
    expect(reads).toHaveLength(8);
    for (const read of reads) expect(read).not.toThrow();
  });
});
