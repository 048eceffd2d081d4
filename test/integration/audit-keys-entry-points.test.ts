/**
 * The key-material audit through its entry points, with the real Secrets Manager, KMS and Security
 * Hub clients and the Secret Manager REST client against the simulator: the `audit-keys` Lambda
 * (findings into the secret's own account and region, the secret as `AwsSecretsManagerSecret`, a
 * failed scope keeping its findings) and the `auditKeys` Cloud Function (Secret Manager findings as
 * `Other` with the resource name, into the central account through federation).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { auditKeys } from '../../functions/handlers/aws/audit-keys.ts';
import { auditKeysGcp } from '../../functions/handlers/gcp/audit-keys.ts';
import { ACCOUNT, arn, keysPolicy, keysScenario, PROJECT } from '../fixtures/keys/world.ts';
import { federationScenario, gcpPolicy } from '../gcp/sim-setup.ts';
import { simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../sim/services/security-hub.ts';
import { cloudFunctionDependencies, lambdaDependencies, storedFindings } from './support.ts';

let sim: Sim;
let factories: AwsClientFactory[] = [];

afterEach(async () => {
  for (const factory of factories) factory.destroy();
  factories = [];
  await sim.close();
});

async function start(): Promise<SecurityHubSim> {
  const keys = keysScenario();
  const federation = federationScenario();
  sim = await startSim({
    scenario: { ...keys, ...federation, services: { ...keys.services, ...federation.services } },
  });
  return sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
}

/** The world's policy, AWS secrets only, publishing. */
function awsOnly(inspect: boolean): PolicyInput {
  const world = keysPolicy(inspect);
  const items = Object.fromEntries(
    Object.entries(world.keys?.items ?? {}).filter(([, item]) => !item.secret?.startsWith('projects/')),
  );
  return { ...world, gcp: {}, keys: { ...world.keys, items }, securityHub: { enabled: true } };
}

function lambdaDeps(input: PolicyInput) {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  factories.push(factory);
  return lambdaDependencies('audit-keys', parsePolicy(input), factory);
}

/** Stored keys findings by resource id and check. */
const stored = (hub: SecurityHubSim, region: string) => storedFindings(hub, ACCOUNT, region, 'keys');

describe('audit-keys Lambda', () => {
  it('publishes each secret’s findings into its own region with the secret as an AwsSecretsManagerSecret', async () => {
    // Prepare
    const hub = await start();
    // Act
    const result = await auditKeys({}, lambdaDeps(awsOnly(false)));
    // Assess
    expect(result.scopes).toEqual({ evaluated: 2, failed: [] });
    const ireland = stored(hub, 'eu-west-1');
    const virginia = stored(hub, 'us-east-1');
    expect(ireland.get('certctl/ca keys.cmk')?.Compliance?.Status).toBe('PASSED');
    expect(ireland.get('certctl/api-keys keys.cmk')?.Compliance?.Status).toBe('FAILED');
    expect(virginia.get('certctl/missing keys.present')?.Compliance?.Status).toBe('FAILED');
    // The ARN the policy wrote, not the one Secrets Manager answers (with its random suffix): the
    // finding Id is made of it, and a secret that cannot be described has no answer to take it from.
    expect(ireland.get('certctl/ca keys.present')?.Resources).toEqual([
      {
        Type: 'AwsSecretsManagerSecret',
        Id: arn('eu-west-1', 'certctl/ca'),
        Partition: 'aws',
        Region: 'eu-west-1',
      },
    ]);
    // Metadata only: no finding judges the content.
    expect([...ireland.keys()].some((key) => key.endsWith('keys.content'))).toBe(false);
  });

  it('keeps a failed region’s findings untouched and judges nothing there PASSED when Secrets Manager is down', async () => {
    // Prepare
    const hub = await start();
    await auditKeys({}, lambdaDeps(awsOnly(false)));
    const before = stored(hub, 'us-east-1').get('certctl/trust-corp keys.replicated');
    sim.setFaults({ downRegions: ['us-east-1'], services: ['secretsManager'] });
    // Act
    const result = await auditKeys({}, lambdaDeps(awsOnly(false)));
    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.scopes.failed).toEqual([`aws/${ACCOUNT}/us-east-1/keys`]);
    const after = stored(hub, 'us-east-1').get('certctl/trust-corp keys.replicated');
    expect(after?.Compliance?.Status).toBe(before?.Compliance?.Status);
    expect(after?.RecordState).toBe('ACTIVE');
  });
});

describe('auditKeys Cloud Function', () => {
  it('publishes the Secret Manager findings as Other resources with their resource name into the central account', async () => {
    // Prepare
    const hub = await start();
    const world = keysPolicy(false);
    const items = Object.fromEntries(
      Object.entries(world.keys?.items ?? {}).filter(([, item]) => item.secret?.startsWith('projects/')),
    );
    const policy = gcpPolicy({ keys: { ...world.keys, preset: 'none', items } });
    const deps = cloudFunctionDependencies(sim.endpoint, policy, withSecretManager);
    // Act
    const result = await auditKeysGcp({}, deps).finally(() => deps.gcp.close());
    // Assess
    expect(result.ok).toBe(true);
    expect(result.scopes).toEqual({ evaluated: 1, failed: [] });
    const findings = stored(hub, 'eu-west-1');
    const name = `projects/${PROJECT}/secrets/certctl-config-key`;
    expect(findings.get(`${name} keys.not-deleting`)?.Compliance?.Status).toBe('FAILED');
    expect(findings.get(`${name} keys.replicated`)?.Resources?.[0]).toMatchObject({
      Type: 'Other',
      Details: {
        Other: { resourceType: 'GcpSecretManagerSecret', resourceId: name, 'gcp/project': PROJECT },
      },
    });
  });
});
