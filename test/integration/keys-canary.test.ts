/**
 * Values never leave memory: a canary is planted in every secret of the keys world (including a
 * malformed PEM made of it, and a non-JSON secret read by JSON key), and searched for in every
 * output a run produces: CLI stdout and stderr in every format, the job's logs, findings and
 * metrics, the Lambda's Powertools log lines and the Cloud Function's results, error paths (faults,
 * failed scopes), and the ASFF that reached the simulator's Security Hub; and the readiness verdict
 * that judges the same key material, as the CLI prints it and as chat answers it (Slack's blocks
 * and the Amazon Q notification). Two values look like error answers (an AWS JSON error, Google's
 * error body), and the value reads are also refused for the service, failing the scopes after
 * their secrets were described.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSnapshotCloud } from '../../functions/actions/snapshot/aws.ts';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer } from '../../functions/chatops/answers.ts';
import { cloudChatJobs, jobChatActions } from '../../functions/chatops/job-actions.ts';
import { runCli } from '../../functions/cli/cli.ts';
import { FORMATS } from '../../functions/cli/commands/audit.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withSecretManager } from '../../functions/gcp/secret-manager.ts';
import { auditKeys } from '../../functions/handlers/aws/audit-keys.ts';
import { auditKeysGcp } from '../../functions/handlers/gcp/audit-keys.ts';
import { runAuditJob } from '../../functions/jobs/audit.ts';
import { recordingLogger } from '../core/recording-logger.ts';
import { arn, CANARY, keysPolicy, keysScenario, PROJECT, pem } from '../fixtures/keys/world.ts';
import { QUICK_RETRY_WAITS, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../sim/services/security-hub.ts';

let sim: Sim;
let dir: string;
const logger = recordingLogger();
/**
 * Distinctive slices of the planted key material, besides the canary, and of the RA certificate
 * and the intermediate CA certificate its chain is built through.
 */
const MATERIAL = ['ca.key', 'other.key', 'ra.key', 'tls.key', 'chain-ra.crt', 'chain-int.crt'].map(
  (file) => pem(file).split('\n')[2] ?? '',
);

/**
 * Values that look like the answers a client reads as errors (an AWS JSON error, Google's error
 * body): read as a value they must be judged as one, never taken for a refusal nor echoed.
 */
const ERROR_LOOKING = {
  aws: JSON.stringify({ __type: 'ThrottlingException', Message: `Rate exceeded ${CANARY}` }),
  gcp: JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: CANARY } }),
};

/**
 * The runs' retries, as many as ever but without their waits (what leaks is the subject here, not
 * the timing): the AWS adaptive retry waits a hundredth of the SDK's, the Secret Manager reads'
 * first wait 2 ms instead of 200.
 */
const QUICK_RETRIES = { awsWaitScale: QUICK_RETRY_WAITS, secretManager: { initialDelayMs: 2 } };

/** The world's inventory with the two error-looking values. */
function canaryPolicy(): PolicyInput {
  const policy = keysPolicy(true);
  return {
    ...policy,
    // Two attempts: the runs whose value reads are throttled on every attempt end soon.
    aws: { ...policy.aws, maxAttempts: 2 },
    keys: {
      ...policy.keys,
      items: {
        ...policy.keys?.items,
        'error-looking-token': {
          kind: 'opaque',
          secret: arn('eu-west-1', 'certctl/error-looking'),
          jsonKey: 'token',
        },
        'gcp-error-looking': {
          kind: 'certificate',
          secret: `projects/${PROJECT}/secrets/certctl-error-looking`,
        },
      },
    },
  };
}

const publishing: PolicyInput = {
  ...canaryPolicy(),
  securityHub: { enabled: true, centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
};

/** The same inventory, judged by readiness for one database (readiness judges key material per database). */
const judging: PolicyInput = {
  ...canaryPolicy(),
  targets: { tags: [], identifiers: ['certctl-prod-db'] },
};

/** The secrets a scenario section seeds. */
function seeded(section: unknown): unknown[] {
  return (section as { secrets?: unknown[] } | undefined)?.secrets ?? [];
}

beforeAll(async () => {
  const scenario = keysScenario();
  sim = await startSim({
    scenario: {
      ...scenario,
      services: {
        ...scenario.services,
        secretsManager: {
          secrets: [
            ...seeded(scenario.services?.secretsManager),
            { name: 'certctl/error-looking', region: 'eu-west-1', value: ERROR_LOOKING.aws },
          ],
        },
        secretManager: {
          secrets: [
            ...seeded(scenario.services?.secretManager),
            { project: PROJECT, name: 'certctl-error-looking', versions: [{ value: ERROR_LOOKING.gcp }] },
          ],
        },
        rds: { instances: [{ id: 'certctl-prod-db', region: 'eu-west-1', backupRetentionPeriod: 14 }] },
      },
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'keys-canary-'));
  await writeFile(join(dir, 'policy.json'), JSON.stringify(publishing));
  await writeFile(join(dir, 'readiness.json'), JSON.stringify(judging));
});

afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<string> {
  return run('audit', 'policy.json', ...args);
}

/** The CLI's `command` with the policy file `policy` against the simulator. */
async function run(command: string, policy: string, ...args: string[]): Promise<string> {
  let text = '';
  const code = await runCli(
    [
      command,
      '--policy',
      join(dir, policy),
      '--provider',
      'all',
      '--endpoint-url',
      sim.endpoint,
      '--gcp-endpoint-url',
      sim.endpoint,
      ...args,
    ],
    {
      stdout: (chunk) => {
        text += chunk;
      },
      stderr: (chunk) => {
        text += chunk;
      },
      env: { ...process.env, AWS_REGION: 'eu-west-1' },
    },
    { awsCredentials: simCredentials(), retries: QUICK_RETRIES },
  );
  return `${text}\nexit ${code}`;
}

/** Both clouds' clients against the simulator (the caller closes them). */
function simClients() {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  const gcp = new GcpClientFactory({ endpoint: sim.endpoint });
  return { factory, gcp: withSecretManager(gcp, gcp, QUICK_RETRIES.secretManager) };
}

/** Run `act` with stdout (where Powertools writes) captured into `outputs`. */
async function withStdout<T>(outputs: string[], act: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => outputs.push(String(chunk)) > 0) as typeof write;
  try {
    return await act();
  } finally {
    process.stdout.write = write;
  }
}

describe('secret values never leave memory', () => {
  it('appear in no CLI output, log, finding, metric, handler result or Security Hub finding of any run', {
    timeout: 240_000,
  }, async () => {
    // Act: the CLI in every format, publishing.
    const outputs: string[] = [];
    // Every format the CLI has (csv included), so a format added later is searched too.
    for (const format of FORMATS) outputs.push(await cli('--format', format, '--publish'));
    // The job itself, with a logger that keeps everything.
    const policy = parsePolicy(publishing);
    const { factory, gcp } = simClients();
    const job = await runAuditJob(
      { providers: ['aws', 'gcp'], groups: ['keys'] },
      {
        policy,
        aws: { factory, collectors: awsCollectors },
        gcp: { clients: gcp, collectors: gcpCollectors },
        logger,
        publisher: { factory: () => factory, accounts: [], homeRegion: 'eu-west-1' },
      },
    );
    outputs.push(JSON.stringify(job));
    // The Lambda's plain function with the real Powertools logger and metrics, whose output is stdout.
    const metrics = new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'audit-keys' });
    const lambdaLogger = new Logger({ serviceName: 'audit-keys', logLevel: 'DEBUG' });
    const lambda = () =>
      auditKeys({}, { policy, factory, logger: lambdaLogger, metrics, homeRegion: 'eu-west-1' });
    outputs.push(JSON.stringify(await withStdout(outputs, lambda)));
    outputs.push(JSON.stringify(metrics.serializeMetrics()));
    // The Cloud Function's plain function, not publishing.
    const cloudFunction = await auditKeysGcp(
      { publish: false },
      { policy, gcp, awsFactory: () => factory, logger },
    );
    outputs.push(JSON.stringify(cloudFunction));
    // Error paths: every call failing, so scopes fail and errors are rendered.
    sim.setFaults({ errorRate: 1, services: ['secretsManager', 'kms', 'secretManager'] });
    // The failed scopes' errors rendered in every format.
    for (const format of FORMATS) outputs.push(await cli('--format', format));
    const failing = await withStdout(outputs, lambda);
    outputs.push(JSON.stringify(failing));
    // Value reads refused for the service (a throttle, Google's UNAVAILABLE) on every attempt: the
    // scopes fail after the secrets were described and some values may have been read.
    sim.setFaults({
      throttleRate: 1,
      throttleCode: 'TooManyRequestsException',
      services: ['secretsManager'],
      operations: ['BatchGetSecretValue', 'GetSecretValue'],
    });
    for (const format of FORMATS) outputs.push(await cli('--format', format));
    const valuesRefused = await withStdout(outputs, lambda);
    outputs.push(JSON.stringify(valuesRefused));
    sim.setFaults({
      throttleRate: 1,
      throttleCode: 'UNAVAILABLE',
      services: ['secretManager'],
      operations: ['versions.access'],
    });
    const accessRefused = await auditKeysGcp(
      { publish: false },
      { policy, gcp, awsFactory: () => factory, logger },
    );
    outputs.push(JSON.stringify(accessRefused));
    sim.setFaults({});
    factory.destroy();
    await gcp.close();
    const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
    outputs.push(JSON.stringify(hub.allFindings()));
    outputs.push(logger.text());

    // Assess: every run read both clouds' values (no scope failed, so nothing went untested), the
    // failing run did fail, and nothing leaked.
    expect(job.report.scopes.filter((scope) => scope.status !== 'complete')).toEqual([]);
    expect(cloudFunction.scopes.failed).toEqual([]);
    expect(failing.scopes.failed.length).toBeGreaterThan(0);
    expect(valuesRefused.scopes.failed.length).toBeGreaterThan(0);
    expect(accessRefused.scopes.failed.length).toBeGreaterThan(0);
    // The error-looking values were read and judged as values (a key that is not there, a
    // certificate that does not parse), not taken for refusals.
    const judged = (id: string) =>
      job.report.findings.find((f) => f.resource.id.endsWith(id) && f.checkId === 'keys.content');
    expect(judged('certctl/error-looking')?.status).toBe('FAILED');
    expect(judged('certctl-error-looking')?.status).toBe('FAILED');
    const everything = outputs.join('\n');
    expect(everything).toContain('keys.content');
    expect(everything).toContain('certificate-unparseable');
    // keys.cmk's finding on a customer-managed key pending deletion was among the outputs searched.
    expect(everything).toContain('protects the backup only until it is deleted with its key material');
    expect(
      hub.allFindings().some((entry) => entry.finding.Resources?.[0]?.Type === 'AwsSecretsManagerSecret'),
    ).toBe(true);
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain('CANARY');
    for (const slice of MATERIAL) expect(everything).not.toContain(slice);
    expect(everything).not.toContain('PRIVATE KEY-----');
  });

  it('appear in no readiness verdict: not the CLI’s, not a chat answer in Slack or Amazon Q, not its logs', {
    timeout: 120_000,
  }, async () => {
    // Act: the CLI, then the chat actions over the readiness job as the chat functions run it.
    const outputs: string[] = [];
    for (const format of ['table', 'json']) {
      outputs.push(await run('readiness', 'readiness.json', '--provider', 'all', '--format', format));
    }
    const policy = parsePolicy(judging);
    const { factory, gcp } = simClients();
    const chatLogger = recordingLogger();
    const actions = jobChatActions(
      cloudChatJobs({
        policy,
        providers: ['aws', 'gcp'],
        clouds: (selection) => [awsSnapshotCloud({ policy: selection, factory, homeRegion: 'eu-west-1' })],
        audit: {
          aws: { factory, collectors: awsCollectors, homeRegion: 'eu-west-1' },
          gcp: { clients: gcp, collectors: gcpCollectors },
        },
        once: async () => {
          throw new Error('no snapshot in this test');
        },
        lastAudit: async () => ({ unavailable: 'none' }),
        logger: chatLogger,
      }),
    );
    const readiness = await actions.readiness([]);
    const slack = readinessAnswer(readiness);
    outputs.push(JSON.stringify(readiness), JSON.stringify(slack));
    outputs.push(JSON.stringify(amazonQNotification(slack, 'thread', 'id')));
    factory.destroy();
    await gcp.close();
    outputs.push(chatLogger.text());

    // Assess: the key material was judged (its failures are in the answer), and nothing leaked.
    const everything = outputs.join('\n');
    expect(readiness.targets.map((target) => target.name)).toEqual(['certctl-prod-db']);
    const keysGate = readiness.targets[0]?.gates.find((gate) => gate.gate === 'audit:keys');
    expect(keysGate?.status).toBe('NO-GO');
    expect(JSON.stringify(slack)).toContain('keys.content');
    for (const printed of outputs.slice(0, 2)) expect(printed).toContain('keys.content');
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain('CANARY');
    for (const slice of MATERIAL) expect(everything).not.toContain(slice);
    expect(everything).not.toContain('PRIVATE KEY-----');
  });
});
