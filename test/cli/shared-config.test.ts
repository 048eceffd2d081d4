/**
 * The region of the AWS shared config profile, which the AWS CLI and SDKs use right after
 * AWS_REGION: read from the files the CLI's own environment names (never the developer's real
 * ~/.aws), missing or unreadable files ignored, a malformed config file refused in one line.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import { openClouds, type WhereArgs } from '../../functions/cli/clouds.ts';
import { awsProfileRegion, homeOf } from '../../functions/cli/shared-config.ts';
import { InputError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { captureIo } from './support.ts';

const GOV_ROLE = 'arn:aws-us-gov:iam::111111111111:role/backup-guard-audit';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };
const where: WhereArgs = {
  policyFile: undefined,
  provider: 'aws',
  providers: ['aws'],
  regions: undefined,
  projects: undefined,
  endpointUrl: undefined,
  gcpEndpointUrl: undefined,
};

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'backup-guard-profile-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Write `text` as `name` under the temporary home and return its path. */
async function file(name: string, text: string): Promise<string> {
  const path = join(home, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

describe('awsProfileRegion', () => {
  it('reads the region of [default] in $AWS_CONFIG_FILE when AWS_PROFILE is unset', async () => {
    const config = await file('config', '[default]\nregion = us-gov-east-1\noutput = json\n');

    const found = await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config });

    expect(found).toEqual({ profile: 'default', file: config, region: 'us-gov-east-1' });
  });

  it('reads [profile NAME] for AWS_PROFILE=NAME, not a bare [NAME] section of the config file', async () => {
    const config = await file(
      'config',
      '[default]\nregion = eu-west-1\n[gov]\nregion = us-east-1\n[profile gov]\nregion = us-gov-west-1\n',
    );

    const found = await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config, AWS_PROFILE: 'gov' });

    expect(found).toEqual({ profile: 'gov', file: config, region: 'us-gov-west-1' });
  });

  it('reads $HOME/.aws/config when AWS_CONFIG_FILE is unset', async () => {
    const config = await file('.aws/config', '[default]\nregion = cn-northwest-1\n');

    const found = await awsProfileRegion({ HOME: home });

    expect(found).toEqual({ profile: 'default', file: config, region: 'cn-northwest-1' });
  });

  it('lets a region in the shared credentials file win over the config file, as the SDK does', async () => {
    const config = await file('config', '[profile ops]\nregion = us-gov-east-1\n');
    const credentials = await file('credentials', '[ops]\nregion = us-gov-west-1\n');

    const found = await awsProfileRegion({
      HOME: home,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: 'ops',
    });

    expect(found).toEqual({ profile: 'ops', file: credentials, region: 'us-gov-west-1' });
  });

  it('finds nothing when the files are missing or unreadable, or the profile has no region', async () => {
    const noRegion = await file('config', '[default]\noutput = json\n[profile other]\nregion = eu-west-1\n');
    await mkdir(join(home, 'a-directory'));

    expect(await awsProfileRegion({ HOME: home })).toBeUndefined();
    expect(
      await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: join(home, 'a-directory') }),
    ).toBeUndefined();
    expect(await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: noRegion })).toBeUndefined();
    expect(
      await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: noRegion, AWS_PROFILE: 'missing' }),
    ).toBeUndefined();
  });

  it('reads the files the given environment names, not those of the process', async () => {
    const elsewhere = await file('elsewhere/config', '[profile gov]\nregion = us-gov-west-1\n');
    const config = await file('config', '[default]\nregion = eu-central-1\n');
    vi.stubEnv('AWS_CONFIG_FILE', elsewhere);
    vi.stubEnv('AWS_PROFILE', 'gov');
    vi.stubEnv('HOME', join(home, 'elsewhere'));

    expect(await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config })).toEqual({
      profile: 'default',
      file: config,
      region: 'eu-central-1',
    });
    expect(await awsProfileRegion({ HOME: home })).toBeUndefined();
  });

  it('refuses a malformed config file in one line naming the file and line, never echoing it', async () => {
    const config = await file(
      'config',
      '[default]\nregion = us-gov-west-1\naws_secret_access_key: wJalrXUtnFEMI/K7MDENG\n',
    );
    const headless = await file('headless', 'region = us-gov-west-1\n[default]\n');
    const unclosed = await file('unclosed', '[profile gov\nregion = us-gov-west-1\n');

    const refusal = awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config });

    await expect(refusal).rejects.toThrow(InputError);
    await expect(refusal).rejects.toThrow(`${config} is malformed: line 3`);
    await expect(refusal).rejects.not.toThrow(/wJalrXUtnFEMI|aws_secret_access_key|\n/);
    await expect(awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: headless })).rejects.toThrow(
      `${headless} is malformed: line 1`,
    );
    await expect(awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: unclosed })).rejects.toThrow(
      `${unclosed} is malformed: line 1`,
    );
  });

  it('accepts comments, blank lines and indented sub-settings', async () => {
    const config = await file(
      'config',
      '# team profiles\n\n[default] ; the usual\nregion = us-gov-west-1 # GovCloud\ns3 =\n  max_concurrent_requests = 20\n',
    );

    expect((await awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config }))?.region).toBe('us-gov-west-1');
  });

  it('refuses a profile region that is not an AWS region name, naming the profile and the file', async () => {
    const config = await file('config', '[profile gov]\nregion = us-gov-west\n');

    const refusal = awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config, AWS_PROFILE: 'gov' });

    await expect(refusal).rejects.toThrow(InputError);
    await expect(refusal).rejects.toThrow(`region 'us-gov-west' of AWS profile 'gov' in ${config}`);
  });
});

describe('a quoted profile region', () => {
  it('is refused, saying the quotes are the problem and what to write, as AWS tools keep them in the value', async () => {
    // Prepare: @smithy's parseIni and botocore's configparser both keep quotes in a value, so
    // neither the SDK nor the AWS CLI reads "eu-west-1" as eu-west-1.
    const config = await file('config', '[default]\nregion = "eu-west-1"\n');
    const single = await file('single', "[profile gov]\nregion='us-gov-west-1'\n");
    const credentials = await file('credentials', '[default]\nregion = "eu-west-1"\n');

    // Act
    const refusal = awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: config });

    // Assess
    await expect(refusal).rejects.toThrow(InputError);
    await expect(refusal).rejects.toThrow(
      `the region of AWS profile 'default' in ${config} is written in quotes ("eu-west-1"), which the AWS CLI and SDKs keep as part of the value, so none of them reads it as a region: write region = eu-west-1 there, or set AWS_REGION`,
    );
    await expect(
      awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: single, AWS_PROFILE: 'gov' }),
    ).rejects.toThrow(`in ${single} is written in quotes ('us-gov-west-1'), `);
    await expect(
      awsProfileRegion({
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: credentials,
      }),
    ).rejects.toThrow(`in ${credentials} is written in quotes ("eu-west-1"), `);
    // Quotes around what is no region name either: said as no region name, not as quotes.
    const ireland = await file('ireland', '[default]\nregion = "Ireland"\n');
    await expect(awsProfileRegion({ HOME: home, AWS_CONFIG_FILE: ireland })).rejects.toThrow(
      `the region '"Ireland"' of AWS profile 'default' in ${ireland} is not an AWS region name`,
    );
  });
});

describe('the home region of a CLI run from the AWS profile', () => {
  it('is the profile region when AWS_REGION and AWS_DEFAULT_REGION are unset', async () => {
    const config = await file('config', '[profile gov]\nregion = us-gov-east-1\n');
    const io = captureIo({ HOME: home, AWS_CONFIG_FILE: config, AWS_PROFILE: 'gov' });

    const clouds = await openClouds(
      parsePolicy({}),
      where,
      io,
      { awsCredentials: CREDENTIALS },
      {
        aws: true,
        gcp: false,
      },
    );
    await clouds.close();

    expect(clouds.homeRegion).toBe('us-gov-east-1');
  });

  it('is AWS_REGION, then AWS_DEFAULT_REGION, over the profile region, without reading the file', async () => {
    const malformed = await file('config', 'not an ini file\n');

    for (const env of [{ AWS_REGION: 'eu-west-1' }, { AWS_DEFAULT_REGION: 'eu-west-1' }]) {
      const io = captureIo({ HOME: home, AWS_CONFIG_FILE: malformed, ...env });
      const clouds = await openClouds(
        parsePolicy({}),
        where,
        io,
        { awsCredentials: CREDENTIALS },
        {
          aws: true,
          gcp: false,
        },
      );
      await clouds.close();

      expect(clouds.homeRegion).toBe('eu-west-1');
    }
  });

  it("never reads the developer's ~/.aws from a test's captured io", async () => {
    // Prepare: a "real" home whose profile names GovCloud; os.homedir() follows $HOME.
    await file('.aws/config', '[default]\nregion = us-gov-west-1\n');
    vi.stubEnv('HOME', home);
    vi.stubEnv('AWS_CONFIG_FILE', undefined);
    const io = captureIo({ BACKUP_GUARD_POLICY: '{}' });

    const clouds = await openClouds(
      parsePolicy({}),
      where,
      io,
      { awsCredentials: CREDENTIALS },
      {
        aws: true,
        gcp: false,
      },
    );
    await clouds.close();

    expect(await awsProfileRegion(io.env)).toBeUndefined();
    expect(clouds.homeRegion).toBeUndefined();
  });

  it('stops an audit whose profile region is in another partition than the settings, in one line', async () => {
    const config = await file('config', '[profile ops]\nregion = us-east-1\n');
    const io = captureIo({
      HOME: home,
      AWS_CONFIG_FILE: config,
      AWS_PROFILE: 'ops',
      BACKUP_GUARD_POLICY: JSON.stringify({
        aws: { accounts: [{ accountId: '111111111111', roleArn: GOV_ROLE }] },
      }),
    });

    const code = await runCli(['audit', '--endpoint-url', 'http://127.0.0.1:9'], io, {
      awsCredentials: CREDENTIALS,
    });

    expect(code).toBe(2);
    expect(io.err()).toMatch(
      /^backup-guard: the region us-east-1 of AWS profile 'ops' in \S+ is in the aws partition, but the settings name the aws-us-gov partition \(aws\.accounts\[0\]\.roleArn arn:aws-us-gov:/,
    );
    expect(io.err()).toContain(config);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  it('stops an audit on a malformed config file with one line naming it, no stack trace', async () => {
    const config = await file('config', '[default\nregion = us-gov-west-1\n');
    const io = captureIo({ HOME: home, AWS_CONFIG_FILE: config });

    const code = await runCli(['audit', '--endpoint-url', 'http://127.0.0.1:9'], io, {
      awsCredentials: CREDENTIALS,
    });

    expect(code).toBe(2);
    expect(io.err()).toMatch(/^backup-guard: the AWS config file \S+ is malformed: line 1 /);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });
});

describe('the home directory the shared files are found in', () => {
  it('refuses in a sentence, not a stack trace, when HOME is unset and the user has no home directory', () => {
    // Prepare: what os.homedir() throws for a uid with no passwd entry (a container run as -u 1000).
    const noPasswdEntry = (): string => {
      throw Object.assign(
        new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'),
        { code: 'ERR_SYSTEM_ERROR' },
      );
    };

    // Act / Assess
    expect(homeOf({ HOME: '/home/alice' }, noPasswdEntry)).toBe('/home/alice');
    expect(() => homeOf({}, noPasswdEntry)).toThrow(InputError);
    expect(() => homeOf({}, noPasswdEntry)).toThrow(
      'no home directory to find ~/.aws/config and ~/.aws/credentials in: HOME is not set and this user has none (uv_os_homedir returned ENOENT); set HOME (the AWS SDK reads its shared files there)',
    );
  });
});
