import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STACK_NAMES } from '../../infra/backup-guard-app.ts';
import { REPO_ROOT, readCdkJson, testContext } from './support.ts';

const outdirs: string[] = [];

/** Run `node infra/app.ts` the way the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(policy: unknown) {
  const outdir = mkdtempSync(join(tmpdir(), 'backup-guard-cdk-'));
  outdirs.push(outdir);
  const context = { ...testContext(), backupGuardPolicy: policy };
  const result = spawnSync(process.execPath, ['infra/app.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
  });
  return { ...result, outdir };
}

afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('infra/app.ts (the cdk.json app)', () => {
  it('is what cdk.json runs, on Node without a TypeScript loader', () => {
    // Act / Assess
    expect(readCdkJson().app).toBe('node infra/app.ts');
  });

  it('synthesizes the audit and member stacks for the policy shipped in cdk.json', () => {
    // Act
    const result = runApp(readCdkJson().context.backupGuardPolicy);

    // Assess
    expect(result.stderr).not.toContain('certctl-backup-guard:');
    expect(result.status).toBe(0);
    expect(
      readdirSync(result.outdir)
        .filter((file) => file.endsWith('.template.json'))
        .sort(),
    ).toEqual([`${STACK_NAMES.audit}.template.json`, `${STACK_NAMES.member}.template.json`]);
  });

  it('stops with each bad field and its reason, and no stack trace, when the policy is invalid', () => {
    // Act
    const result = runApp({ pitr: { minPitrDays: 90 }, schedules: { auditPitr: 'every hour' } });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('certctl-backup-guard: CDK context "backupGuardPolicy" is invalid:');
    expect(result.stderr).toContain('  pitr.minPitrDays:');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(result.outdir).filter((file) => file.endsWith('.template.json'))).toEqual([]);
  });

  it('stops naming securityHub.centralAccountId and centralRegion when gcp.federation is set without them', () => {
    // Prepare
    const federation = {
      roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
      audience: 'certctl-backup-guard-audit',
      serviceAccountUniqueId: '109876543210987654321',
    };

    // Act
    const result = runApp({ gcp: { federation }, securityHub: { enabled: true } });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('  securityHub.centralAccountId: is required when gcp.federation is set');
    expect(result.stderr).toContain('  securityHub.centralRegion: is required when gcp.federation is set');
    expect(readdirSync(result.outdir).filter((file) => file.endsWith('.template.json'))).toEqual([]);
  });
});
