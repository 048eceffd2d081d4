/**
 * The caller's AWS credentials for CLI commands: the SDK's default chain, checked up front so a
 * missing profile or no credentials at all is one clear line before any work starts.
 */
import { readFile } from 'node:fs/promises';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CredentialsError } from '../core/errors.ts';
import { didYouMean } from './args.ts';
import type { CliOverrides } from './command.ts';
import { sharedConfigPaths } from './shared-config.ts';

/** Section names of an INI file (`[default]`, `[profile dev]`, `[sso-session x]`). */
function sections(text: string): string[] {
  return [...text.matchAll(/^\s*\[([^\]]+)\]/gm)].map((match) => (match[1] ?? '').trim());
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The profiles of the shared config and credentials files, where the SDK reads them
 * (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/config and ~/.aws/credentials):
 * `[profile NAME]` or `[default]` in config, `[NAME]` in credentials
 * (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html).
 */
export async function awsProfiles(env: NodeJS.ProcessEnv): Promise<{ names: string[]; files: string[] }> {
  const { configFile, credentialsFile } = sharedConfigPaths(env);
  const names = new Set<string>();
  for (const section of sections((await readOptional(configFile)) ?? '')) {
    if (section === 'default') names.add(section);
    else if (section.startsWith('profile ')) names.add(section.slice('profile '.length).trim());
  }
  for (const section of sections((await readOptional(credentialsFile)) ?? '')) names.add(section);
  return { names: [...names], files: [configFile, credentialsFile] };
}

/** Throws when `AWS_PROFILE` names a profile neither shared file defines. */
export async function checkAwsProfile(env: NodeJS.ProcessEnv): Promise<void> {
  const profile = env.AWS_PROFILE?.trim();
  if (!profile) return;
  const { names, files } = await awsProfiles(env);
  if (names.includes(profile)) return;
  const known = names.length > 0 ? `the profiles there are ${names.join(', ')}` : 'they define no profile';
  throw new CredentialsError(
    `AWS_PROFILE is '${profile}', but no such profile is in ${files.join(' or ')} (${known}).${didYouMean(profile, names)} ` +
      `Fix AWS_PROFILE, or create the profile with 'aws configure sso --profile ${profile}'.`,
  );
}

/**
 * The caller's AWS credentials: the SDK's default chain, resolved once up front so "no
 * credentials" is one clear message, then handed on as the provider itself so SSO and
 * assumed-role sessions refresh during a long audit (the chain memoizes until expiry).
 */
export async function resolveAwsCredentials(
  overrides: CliOverrides,
  env: NodeJS.ProcessEnv,
): Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider> {
  if (overrides.awsCredentials) return overrides.awsCredentials;
  await checkAwsProfile(env);
  const provider = fromNodeProviderChain();
  try {
    await provider();
  } catch (error) {
    throw new CredentialsError(
      halfAnAccessKey(env) ??
        'No AWS credentials found (looked at the environment, AWS_PROFILE and SSO, the shared config files, and container or instance roles). ' +
          "Sign in (e.g. 'aws sso login --profile P' then AWS_PROFILE=P), or run 'npm run demo' to see the audit against the bundled simulator.",
      { cause: error },
    );
  }
  return provider;
}

/**
 * `AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not …` when the environment holds one half
 * of an access key: the SDK's environment provider passes over it without a word (the AWS CLI says
 * "Partial credentials found in env"), so "no credentials found" alone would send the reader to SSO.
 * Names the variables, never their values.
 */
function halfAnAccessKey(env: NodeJS.ProcessEnv): string | undefined {
  const keyId = Boolean(env.AWS_ACCESS_KEY_ID?.trim());
  const secret = Boolean(env.AWS_SECRET_ACCESS_KEY?.trim());
  if (keyId === secret) return undefined;
  const [set, missing] = keyId
    ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']
    : ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'];
  return `${set} is set but ${missing} is not, so the environment holds no access key, and no other credentials were found (AWS_PROFILE and SSO, the shared config files, container or instance roles): set ${missing} too (and AWS_SESSION_TOKEN for temporary credentials), or unset ${set} and sign in (e.g. 'aws sso login --profile P' then AWS_PROFILE=P).`;
}
