/**
 * The deployed artifact, run the way AWS Lambda runs it: the SYNTHESIZED asset (bundled by
 * NodejsFunction with local esbuild, as `cdk synth` does), the handler the template names, the
 * template's environment (plus the simulator's endpoint and credentials), the EventBridge
 * Scheduler event (the schedule's `Input`), and a Lambda-like context, in a fresh Node process.
 * Its output is what CloudWatch Logs would hold: every line structured JSON, the metrics valid
 * Embedded Metric Format, and a failed run leaving its error line and `AuditCompleted 0` behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_BUCKET_ENV } from '../../functions/aws/ledger-location.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { METRICS_NAMESPACE } from '../../functions/handlers/aws/observability.ts';
import { AuditStack } from '../../infra/audit-stack.ts';
import { functionAssetDir, testContext } from '../infra/support.ts';
import { baseAccessKeyId } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';

/** The name the template's ledger bucket Ref stands for in this test. */
const LEDGER_BUCKET = 'certctl-backup-guard-import-ledger-test';

import { type Sim, startSim } from '../sim/server.ts';

/** A secret access key that must never appear in the function's output. */
const CANARY_SECRET = 'CANARY-asset-secret-4b1e-never-logged';

/** What the synthesized template says about the function and its schedule. */
interface DeployedFunction {
  readonly assetDir: string;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly scheduleInput: string;
}

/** Invokes `<module>.<export>` of the asset like the Node.js runtime, printing one JSON line for the outcome. */
const RUNNER = `
const [bundleDir, handlerName, eventJson] = process.argv.slice(2);
const dot = handlerName.lastIndexOf('.');
const mod = await import(new URL(handlerName.slice(0, dot) + '.mjs', bundleDir + '/').href);
const started = Date.now();
const timeoutMs = Number(process.env.RUNNER_TIMEOUT_MS);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: '2026/12/02/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
};
try {
  const result = await mod[handlerName.slice(dot + 1)](JSON.parse(eventJson), context);
  process.stdout.write(JSON.stringify({ runner: 'resolved', result }) + '\\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ runner: 'rejected', name: error.name, message: error.message }) + '\\n');
}
`;

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-guard-asset-'));
  tempDirs.push(dir);
  return dir;
}

/** Synthesize the audit stack with bundling on and read the function's deployment from the template. */
function synthesizeDeployedFunction(policyInput: unknown): DeployedFunction {
  const outdir = tempDir();
  const app = new App({ outdir, context: { ...testContext(), 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new AuditStack(app, 'AssetCheck', { policy: parsePolicy(policyInput) });
  app.synth();
  const template = Template.fromStack(stack);
  const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => id.startsWith('AuditPitr'))
    .map(([, resource]) => resource) as {
    Properties: {
      Handler: string;
      MemorySize: number;
      Timeout: number;
      Environment: { Variables: Record<string, string> };
    };
  }[];
  const [schedule] = Object.entries(template.findResources('AWS::Scheduler::Schedule'))
    .filter(([id]) => id.startsWith('AuditPitr'))
    .map(([, resource]) => resource) as {
    Properties: { Target: { Input: string } };
  }[];
  if (!fn || !schedule) throw new Error('the audit stack has no function or schedule');
  const assetDir = functionAssetDir(outdir, template, 'AuditPitr');
  expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
  return {
    assetDir,
    handler: fn.Properties.Handler,
    // CloudFormation references (the ledger bucket's Ref) become the names the simulator holds.
    environment: Object.fromEntries(
      Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? value
          : name === LEDGER_BUCKET_ENV
            ? LEDGER_BUCKET
            : JSON.stringify(value),
      ]),
    ),
    memorySize: fn.Properties.MemorySize,
    timeoutSeconds: fn.Properties.Timeout,
    scheduleInput: schedule.Properties.Target.Input,
  };
}

interface Invocation {
  readonly lines: readonly Record<string, unknown>[];
  readonly stderr: string;
  readonly raw: string;
}

/** Run the asset once in a fresh Node with the template's environment, like a cold Lambda invoke. */
async function invoke(deployed: DeployedFunction, sim: Sim, event: unknown): Promise<Invocation> {
  const runner = join(tempDir(), 'runner.mjs');
  writeFileSync(runner, RUNNER);
  const child = spawn(
    process.execPath,
    [runner, pathToFileURL(deployed.assetDir).href, deployed.handler, JSON.stringify(event)],
    {
      cwd: deployed.assetDir,
      env: {
        PATH: process.env.PATH ?? '',
        ...deployed.environment,
        LAMBDA_TASK_ROOT: deployed.assetDir,
        AWS_LAMBDA_FUNCTION_NAME: 'CertctlBackupGuardAudit-AuditPitrFunction',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        RUNNER_TIMEOUT_MS: String(deployed.timeoutSeconds * 1000),
        // The simulator stands in for the AWS endpoints and the execution role's credentials.
        AWS_ENDPOINT_URL: sim.endpoint,
        AWS_ACCESS_KEY_ID: baseAccessKeyId(),
        AWS_SECRET_ACCESS_KEY: CANARY_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Lambda sends both streams to the function's log stream, in the order they are written.
  let combined = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    combined += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    combined += String(chunk);
    stderr += String(chunk);
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  const lines = combined
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { notJson: line };
      }
    });
  return { lines, stderr, raw: combined };
}

interface EmfMetadata {
  readonly Timestamp: unknown;
  readonly CloudWatchMetrics: readonly {
    readonly Namespace: unknown;
    readonly Dimensions: readonly (readonly unknown[])[];
    readonly Metrics: readonly { readonly Name: unknown; readonly Unit?: unknown }[];
  }[];
}

/**
 * Problems of one EMF document against the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * `_aws.Timestamp` in epoch milliseconds, `CloudWatchMetrics` directives with a Namespace, Dimensions
 * as arrays of member names and Metrics naming members; every referenced member present at the root.
 */
function emfProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = document._aws as EmfMetadata | undefined;
  if (!aws) return ['no _aws'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 1e12) {
    problems.push(`_aws.Timestamp ${String(aws.Timestamp)} is not epoch milliseconds`);
  }
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0) {
    return [...problems, 'no CloudWatchMetrics directive'];
  }
  for (const directive of aws.CloudWatchMetrics) {
    if (typeof directive.Namespace !== 'string' || directive.Namespace === '') problems.push('no Namespace');
    for (const set of directive.Dimensions ?? []) {
      if (!Array.isArray(set) || set.length > 30)
        problems.push('a dimension set is not an array of <= 30 names');
      for (const name of set) {
        if (typeof document[name as string] !== 'string')
          problems.push(`dimension ${String(name)} has no value`);
      }
    }
    if (!Array.isArray(directive.Metrics) || directive.Metrics.length === 0) problems.push('no Metrics');
    for (const metric of directive.Metrics ?? []) {
      const value = document[metric.Name as string];
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        problems.push(`metric ${String(metric.Name)} has no numeric value`);
      }
    }
  }
  return problems;
}

function emfDocuments(invocation: Invocation): Record<string, unknown>[] {
  return invocation.lines.filter((line) => '_aws' in line);
}

function logLines(invocation: Invocation): Record<string, unknown>[] {
  return invocation.lines.filter((line) => 'level' in line);
}

function outcomeOf(invocation: Invocation): Record<string, unknown> | undefined {
  return invocation.lines.find((line) => 'runner' in line);
}

describe('the synthesized audit-pitr Lambda asset', () => {
  let deployed: DeployedFunction;
  let sim: Sim;

  // Bundling runs esbuild: seconds alone, minutes on a loaded machine.
  beforeAll(async () => {
    deployed = synthesizeDeployedFunction({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      securityHub: { enabled: true },
    });
    const scenario = await loadScenario('test/sim/scenarios/demo-aws.yaml');
    sim = await startSim({
      scenario: {
        ...scenario,
        services: {
          ...scenario.services,
          // The import ledger's bucket, as the audit stack creates it next to the function.
          s3: { buckets: [{ name: LEDGER_BUCKET, account: '111111111111', region: 'eu-west-1' }] },
        },
      },
    });
  }, 300_000);

  afterAll(async () => {
    await sim?.close();
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is what the template names: a bundled handler beside its policy file, given by the environment', () => {
    // Assess
    expect(deployed.handler).toBe('index.handler');
    expect(existsSync(join(deployed.assetDir, 'index.mjs'))).toBe(true);
    expect(readdirSync(deployed.assetDir)).toContain(deployed.environment.BACKUP_GUARD_POLICY_FILE);
    expect(JSON.parse(deployed.scheduleInput)).toEqual({});
  });

  it('audits, publishes and writes only structured JSON and valid EMF when the schedule fires', async () => {
    // Act
    const invocation = await invoke(deployed, sim, JSON.parse(deployed.scheduleInput));

    // Assess: the run itself.
    expect(outcomeOf(invocation)).toMatchObject({ runner: 'resolved', result: { exitCode: 1 } });
    expect(logLines(invocation).filter((line) => line.level === 'ERROR')).toEqual([]);
    // Every line is JSON: CloudWatch Logs Insights can query all of it.
    expect(invocation.lines.filter((line) => 'notJson' in line)).toEqual([]);
    const logs = logLines(invocation);
    expect(logs.find((line) => line.message === 'audit finished')).toMatchObject({
      level: 'INFO',
      service: 'audit-pitr',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    });
    // The metrics: valid EMF, in our namespace, with the values the alarms watch.
    const emf = emfDocuments(invocation);
    expect(emf.length).toBeGreaterThan(0);
    for (const document of emf) expect(emfProblems(document)).toEqual([]);
    const run = emf.find((document) => 'AuditRuns' in document);
    expect(run).toMatchObject({ AuditRuns: 1, AuditCompleted: 1, service: 'audit-pitr' });
    expect(run?._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE }] });
    expect(invocation.raw).not.toContain(CANARY_SECRET);
  });

  it('logs the error and records AuditRuns 1, AuditCompleted 0 before it throws when the event is bad', async () => {
    // Act
    const invocation = await invoke(deployed, sim, { regions: 'eu-west-1' });

    // Assess
    const outcomeAt = invocation.lines.findIndex((line) => 'runner' in line);
    expect(invocation.lines[outcomeAt]).toMatchObject({ runner: 'rejected', name: 'InputError' });
    const before = { lines: invocation.lines.slice(0, outcomeAt), stderr: '', raw: '' };
    expect(logLines(before)).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'audit failed',
        error: {
          name: 'InputError',
          message: expect.stringMatching(/^audit-pitr input is invalid: regions:/),
        },
      }),
    ]);
    const emf = emfDocuments(before);
    for (const document of emf) expect(emfProblems(document)).toEqual([]);
    expect(emf.find((document) => 'AuditRuns' in document)).toMatchObject({
      AuditRuns: 1,
      AuditCompleted: 0,
    });
    expect(invocation.lines.filter((line) => 'notJson' in line)).toEqual([]);
  });
});
