/**
 * The audit-keys role against the synthesized template: DescribeSecret and DescribeKey on the
 * inventory only; GetSecretValue only when inspectSecretValues is on, only on inventory secrets, and
 * kms:Decrypt only through Secrets Manager.
 */
import { describe, expect, it } from 'vitest';
import { flatten, type IamStatement, iamStatements, synthesize } from './support.ts';

const INVENTORY_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca';
const policy = (inspect: boolean) => ({
  aws: { regions: ['eu-west-1'] },
  keys: {
    preset: 'none',
    inspectSecretValues: inspect,
    items: { 'ca-cert': { kind: 'certificate', secret: INVENTORY_ARN } },
  },
});

function statements(input: unknown): IamStatement[] {
  const { stacks, templates } = synthesize(input);
  return [
    ...iamStatements(stacks.audit, templates.audit),
    ...iamStatements(stacks.member, templates.member),
  ].map((statement) => flatten(statement) as IamStatement);
}
const actions = (all: IamStatement[]) => all.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action);

// Synthesizing bundles nothing but still takes long on a shared machine.
describe('audit-keys IAM', { timeout: 300_000 }, () => {
  it('grants DescribeSecret on the inventory secret only and no GetSecretValue when inspection is off', () => {
    // Act
    const all = statements(policy(false));

    // Assess
    const describe = all.find((s) => s.Action.includes('secretsmanager:DescribeSecret'));
    expect(JSON.stringify(describe?.Resource)).toContain('certctl/ca');
    expect(describe?.Resource).toHaveLength(2);
    expect(actions(all).filter((a) => /GetSecretValue|kms:Decrypt/.test(a))).toEqual([]);
    expect(actions(all)).toContain('kms:DescribeKey');
  });

  it('grants GetSecretValue on inventory secrets only and kms:Decrypt only via Secrets Manager when inspection is on', () => {
    // Act
    const all = statements(policy(true));

    // Assess
    const read = all.find((s) => s.Action.includes('secretsmanager:GetSecretValue'));
    expect(read?.Resource.every((resource) => JSON.stringify(resource).includes('certctl/ca'))).toBe(true);
    const decrypt = all.find((s) => s.Action.includes('kms:Decrypt'));
    expect(decrypt?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com'] },
    });
  });

  it('creates no audit-keys job and grants nothing of Secrets Manager when the policy has no inventory', () => {
    // Act
    const all = statements({ aws: { regions: ['eu-west-1'] } });

    // Assess
    expect(actions(all).filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
  });
});
