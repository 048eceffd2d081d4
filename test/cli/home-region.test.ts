/**
 * The CLI's home region (STS, the Account API, Security Hub's home) when the environment names
 * none: us-east-1 is right only in the commercial partition. Settings that name GovCloud or China
 * (regions, the Security Hub central region, member role ARNs) get that partition's region, and
 * settings that name two partitions are refused before any call.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import { cliHomeRegion, type WhereArgs } from '../../functions/cli/clouds.ts';
import { InputError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { captureIo } from './support.ts';

const where = (regions?: string[]): WhereArgs => ({
  policyFile: undefined,
  provider: 'aws',
  providers: ['aws'],
  regions,
  projects: undefined,
  endpointUrl: undefined,
  gcpEndpointUrl: undefined,
});
const GOV_ROLE = 'arn:aws-us-gov:iam::111111111111:role/backup-guard-audit';
const CN_ROLE = 'arn:aws-cn:iam::222222222222:role/backup-guard-audit';
const COMMERCIAL_ROLE = 'arn:aws:iam::333333333333:role/backup-guard-audit';
const withRoles = (...roles: string[]) =>
  parsePolicy({
    aws: { accounts: roles.map((roleArn) => ({ accountId: roleArn.split(':')[4], roleArn })) },
  });

describe('cliHomeRegion', () => {
  it('takes AWS_REGION, then AWS_DEFAULT_REGION, when set', () => {
    const policy = parsePolicy({});

    expect(cliHomeRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' }, where(), policy)).toBe(
      'eu-west-1',
    );
    expect(cliHomeRegion({ AWS_DEFAULT_REGION: 'eu-west-2' }, where(), policy)).toBe('eu-west-2');
  });

  it('refuses an AWS_REGION or AWS_DEFAULT_REGION that is no AWS region name, naming the region it likely means', () => {
    const policy = parsePolicy({});

    expect(() => cliHomeRegion({ AWS_REGION: 'eu-wst-1' }, where(), policy)).toThrow(
      new InputError(
        "AWS_REGION 'eu-wst-1' is not an AWS region name such as eu-west-1 (did you mean eu-west-1?): set AWS_REGION to the region for STS and Security Hub's home, or unset it",
      ),
    );
    expect(() => cliHomeRegion({ AWS_DEFAULT_REGION: 'Ireland' }, where(), policy)).toThrow(
      "AWS_DEFAULT_REGION 'Ireland' is not an AWS region name such as eu-west-1: set AWS_DEFAULT_REGION to",
    );
  });

  it('leaves the commercial partition to the run regions, then us-east-1, as before', () => {
    expect(cliHomeRegion({}, where(), parsePolicy({}))).toBeUndefined();
    expect(cliHomeRegion({}, where(), withRoles(COMMERCIAL_ROLE))).toBeUndefined();
    expect(cliHomeRegion({}, where(['eu-west-1']), parsePolicy({}))).toBeUndefined();
  });

  it("takes the GovCloud or China partition's default region when only member role ARNs name it", () => {
    expect(cliHomeRegion({}, where(), withRoles(GOV_ROLE))).toBe('us-gov-west-1');
    expect(cliHomeRegion({}, where(), withRoles(CN_ROLE))).toBe('cn-north-1');
  });

  it('takes the first region of the run, then the central region, when they are in GovCloud or China', () => {
    const policy = parsePolicy({ aws: { regions: ['us-gov-east-1', 'us-gov-west-1'], accounts: [] } });

    expect(cliHomeRegion({}, where(), policy)).toBe('us-gov-east-1');
    expect(cliHomeRegion({}, where(['us-gov-west-1']), policy)).toBe('us-gov-west-1');
    expect(
      cliHomeRegion(
        {},
        where(),
        parsePolicy({ securityHub: { centralAccountId: '222222222222', centralRegion: 'cn-northwest-1' } }),
      ),
    ).toBe('cn-northwest-1');
  });

  it('refuses settings that name two partitions, naming each setting and what to set', () => {
    const policy = parsePolicy({
      aws: {
        regions: ['eu-west-1'],
        accounts: [{ accountId: '111111111111', roleArn: GOV_ROLE }],
      },
    });

    const refusal = () => cliHomeRegion({}, where(), policy);

    expect(refusal).toThrow(InputError);
    expect(refusal).toThrow(/aws: aws\.regions eu-west-1/);
    expect(refusal).toThrow(/aws-us-gov: aws\.accounts\[0\]\.roleArn arn:aws-us-gov:iam::111111111111:role/);
    expect(refusal).toThrow(/AWS_REGION/);
  });

  it('refuses an AWS_REGION of another partition than the settings name', () => {
    const refusal = () => cliHomeRegion({ AWS_REGION: 'us-east-1' }, where(), withRoles(GOV_ROLE));

    expect(refusal).toThrow(InputError);
    expect(refusal).toThrow(/AWS_REGION us-east-1 is in the aws partition/);
    expect(refusal).toThrow(/aws-us-gov/);
  });

  it('takes the AWS profile region after AWS_REGION and AWS_DEFAULT_REGION', () => {
    const profile = { profile: 'gov', file: '/tmp/aws-config', region: 'us-gov-east-1' };

    expect(cliHomeRegion({}, where(), parsePolicy({}), profile)).toBe('us-gov-east-1');
    expect(cliHomeRegion({}, where(), withRoles(GOV_ROLE), profile)).toBe('us-gov-east-1');
    expect(
      cliHomeRegion({}, where(['eu-west-1']), parsePolicy({}), { ...profile, region: 'eu-west-2' }),
    ).toBe('eu-west-2');
    expect(cliHomeRegion({ AWS_REGION: 'us-gov-west-1' }, where(), parsePolicy({}), profile)).toBe(
      'us-gov-west-1',
    );
    expect(cliHomeRegion({ AWS_DEFAULT_REGION: 'us-gov-west-1' }, where(), parsePolicy({}), profile)).toBe(
      'us-gov-west-1',
    );
  });

  it('refuses an AWS profile region of another partition than the settings name, naming the profile and the settings', () => {
    const profile = { profile: 'ops', file: '/home/op/.aws/config', region: 'us-east-1' };

    const refusal = () => cliHomeRegion({}, where(), withRoles(GOV_ROLE), profile);

    expect(refusal).toThrow(InputError);
    expect(refusal).toThrow(
      "the region us-east-1 of AWS profile 'ops' in /home/op/.aws/config is in the aws partition, but the settings name the aws-us-gov partition (aws.accounts[0].roleArn arn:aws-us-gov:",
    );
    expect(refusal).toThrow(/AWS_REGION/);
  });

  it('stops an audit of mixed partitions with one line and exit 2, before any call', async () => {
    const io = captureIo({
      BACKUP_GUARD_POLICY: JSON.stringify({ aws: { regions: ['eu-west-1', 'cn-north-1'] } }),
    });

    const code = await runCli(['audit', '--endpoint-url', 'http://127.0.0.1:9'], io, {
      awsCredentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    });

    expect(code).toBe(2);
    expect(io.err()).toMatch(/^backup-guard: .*more than one AWS partition/);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });
});
