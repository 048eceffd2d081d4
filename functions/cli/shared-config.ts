/**
 * The AWS shared config and credentials files as the SDK reads them, from the environment the CLI
 * is given (never the process's own, so tests and embedders choose the files): where they are,
 * and the region of the selected profile, which the AWS CLI and SDKs use right after AWS_REGION.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PROFILE,
  ENV_PROFILE,
  loadSharedConfigFiles,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS,
  REGION_INI_NAME,
} from '@smithy/core/config';
import { isAwsRegionName } from '../core/aws-region.ts';
import { DOCS } from '../core/docs.ts';
import { describeError, InputError } from '../core/errors.ts';

/** The region of the selected profile, and where it was found. */
export interface ProfileRegion {
  /** `AWS_PROFILE`, else `default`. */
  readonly profile: string;
  /** The shared file that set it. */
  readonly file: string;
  readonly region: string;
}

/**
 * The home directory as the SDK finds it (HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the OS),
 * but from `env`: @smithy/core's getHomeDir reads process.env. A uid with no passwd entry (a
 * container run as `-u 1000`) without HOME has none, and os.homedir() throws a SystemError: said as
 * what to set, not as an unexpected error with its stack.
 */
export function homeOf(env: NodeJS.ProcessEnv, osHome: () => string = homedir): string {
  if (env.HOME) return env.HOME;
  if (env.USERPROFILE) return env.USERPROFILE;
  if (env.HOMEPATH) return `${env.HOMEDRIVE ?? 'C:\\'}${env.HOMEPATH}`;
  try {
    return osHome();
  } catch (error) {
    // Node words it "A system error occurred: uv_os_homedir returned ENOENT (no such file …)".
    const message = describeError(error);
    const why = /uv_\w+ returned \w+/.exec(message)?.[0] ?? message;
    throw new InputError(
      `no home directory to find ~/.aws/config and ~/.aws/credentials in: HOME is not set and this user has none (${why}); set HOME (the AWS SDK reads its shared files there)`,
      { cause: error },
    );
  }
}

/**
 * The shared config and credentials files: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`,
 * else ~/.aws/config and ~/.aws/credentials, a leading `~/` meaning the home directory, as
 * @smithy/core's getConfigFilepath / getCredentialsFilepath / loadSharedConfigFiles resolve them
 * (https://docs.aws.amazon.com/sdkref/latest/guide/file-location.html).
 */
export function sharedConfigPaths(env: NodeJS.ProcessEnv): { configFile: string; credentialsFile: string } {
  // Read even when both files are named: the SDK's loadSharedConfigFiles asks for the home anyway.
  const home = homeOf(env);
  const resolve = (path: string) => (path.startsWith('~/') ? join(home, path.slice(2)) : path);
  return {
    configFile: resolve(env.AWS_CONFIG_FILE || join(home, '.aws', 'config')),
    credentialsFile: resolve(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')),
  };
}

/**
 * The first line of an INI text that is neither blank, a comment, a `[section]` header, a
 * `name = value` setting inside a section, nor an indented sub-setting line. The SDK's parser
 * silently skips such lines (and settings before any header), so a typo like `region: us-gov-west-1`
 * or `[profile gov` would quietly lose the region; the AWS CLI refuses them. Comments are cut as
 * the SDK cuts them: `#` or `;` at the start or after whitespace.
 */
function firstMalformedLine(text: string): { line: number; problem: string } | undefined {
  let inSection = false;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = (raw.split(/(^|\s)[;#]/)[0] ?? '').trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']'))
        return { line: index + 1, problem: 'is a [section] header without its closing ]' };
      inSection = true;
    } else if (!inSection) {
      return { line: index + 1, problem: 'comes before any [section] header such as [default]' };
    } else if (raw.trimStart() === raw && line.indexOf('=') < 1) {
      return { line: index + 1, problem: "is neither a [section] header nor a 'name = value' setting" };
    }
  }
  return undefined;
}

async function readIfReadable(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    // Missing or unreadable: the SDK ignores it too, and the home region falls back as without one.
    return undefined;
  }
}

/**
 * The region of the AWS profile (`AWS_PROFILE`, else `default`) in the shared files `env` names,
 * read with the SDK's own loader and merged the way its region provider merges them: the profile
 * of the credentials file over the `[profile NAME]` (or `[default]`) of the config file
 * (NODE_REGION_CONFIG_OPTIONS with NODE_REGION_CONFIG_FILE_OPTIONS, as the clients' runtimeConfig
 * calls loadConfig). The SDK for JavaScript takes AWS_REGION first, then this
 * (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-region.html; profiles:
 * https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html).
 * Undefined when no readable file sets it. A malformed config file, or a region that is not a
 * region name (a region name in quotes said as such), is an {@link InputError} naming the file
 * (and line), never quoting it: the config file may hold keys.
 */
export async function awsProfileRegion(env: NodeJS.ProcessEnv): Promise<ProfileRegion | undefined> {
  const { configFile, credentialsFile } = sharedConfigPaths(env);
  const text = await readIfReadable(configFile);
  const malformed = text === undefined ? undefined : firstMalformedLine(text);
  if (malformed) {
    throw new InputError(
      `the AWS config file ${configFile} is malformed: line ${malformed.line} ${malformed.problem}; ` +
        `fix it (${DOCS.awsSharedConfigFormat}), or set AWS_REGION`,
    );
  }
  // Both paths are passed so the loader never falls back to process.env; ignoreCache because the
  // loader memoizes each path's contents for the life of the process.
  const files = await loadSharedConfigFiles({
    configFilepath: configFile,
    filepath: credentialsFile,
    ignoreCache: true,
  });
  // getProfileName would fall back to process.env.AWS_PROFILE; the given env decides.
  const profile = env[ENV_PROFILE] || DEFAULT_PROFILE;
  // Lowest precedence first: the preferred file's profile is spread last and wins.
  const sources = [
    { file: configFile, settings: files.configFile[profile] ?? {} },
    { file: credentialsFile, settings: files.credentialsFile[profile] ?? {} },
  ];
  if (NODE_REGION_CONFIG_FILE_OPTIONS.preferredFile !== 'credentials') sources.reverse();
  const region = NODE_REGION_CONFIG_OPTIONS.configFileSelector(
    Object.assign({}, ...sources.map((source) => source.settings)),
  );
  if (!region) return undefined;
  const file = sources.findLast((source) => source.settings[REGION_INI_NAME] === region)?.file ?? configFile;
  // `region = "eu-west-1"`: the SDK's parseIni (@smithy/core) and the AWS CLI's configparser
  // (botocore) both keep the quotes in the value, so no AWS tool reads it as eu-west-1. Refused
  // rather than unquoted: this run and the other tools on the machine would disagree on the region.
  const quoted = /^(["'])(.*)\1$/.exec(region);
  if (quoted?.[2] && isAwsRegionName(quoted[2])) {
    throw new InputError(
      `the region of AWS profile '${profile}' in ${file} is written in quotes (${region}), which the AWS CLI and SDKs keep as part of the value, so none of them reads it as a region: ` +
        `write region = ${quoted[2]} there, or set AWS_REGION`,
    );
  }
  if (!isAwsRegionName(region)) {
    throw new InputError(
      `the region '${region}' of AWS profile '${profile}' in ${file} is not an AWS region name such as us-gov-west-1: ` +
        'fix it there, or set AWS_REGION',
    );
  }
  return { profile, file, region };
}
