import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GCP_PROJECT, GCP_PROJECT_ID_PATTERN } from '../../functions/core/gcp-project.ts';

describe('GCP_PROJECT', () => {
  it.each(['certctl-prod', 'abcdef', `a${'b'.repeat(28)}c`, 'prod-2026'])('takes the project id %s', (id) => {
    expect(GCP_PROJECT.test(id)).toBe(true);
  });

  it.each(['abcde', `a${'b'.repeat(29)}c`, '1certctl', 'certctl-', 'Certctl-prod', 'certctl_prod', '../x'])(
    'refuses %s, which is no project id',
    (id) => {
      expect(GCP_PROJECT.test(id)).toBe(false);
    },
  );

  it('is written once: every other rule that holds a project id builds on it', () => {
    // Prepare: the product code and the deployment, not the simulator (it models the service on its own).
    const files = ['functions', 'infra'].flatMap((root) =>
      readdirSync(root, { recursive: true, encoding: 'utf8' })
        .filter((path) => path.endsWith('.ts'))
        .map((path) => join(root, path)),
    );

    // Act
    const copies = files.flatMap((path) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .map((line, index) => ({ line, at: `${path}:${index + 1}` }))
        // An IAM service account id has the same shape by its own rule (6-30 characters,
        // [a-z]([-a-z0-9]*[a-z0-9])), not because it is a project id.
        .filter(({ line }) => line.includes(GCP_PROJECT_ID_PATTERN) && !line.includes('SERVICE_ACCOUNT_ID ='))
        .map(({ at }) => at),
    );

    // Assess
    expect(copies).toEqual([expect.stringMatching(/^functions\/core\/gcp-project\.ts:\d+$/)]);
  });
});
