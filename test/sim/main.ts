/**
 * Runs the cloud simulator on its own (`npm run sim -- --scenario <file>`), for trying the CLI or
 * the AWS CLI against a seeded fleet. Prints the endpoint and the environment to point clients at
 * it, and runs until interrupted.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { DEFAULT_ACCOUNT_ID, simEnvironment } from './accounts.ts';
import { type Faults, faultsSchema } from './faults.ts';
import { loadScenario } from './scenario.ts';
import { startSim } from './server.ts';

/** The bundled demo fleet, used when no `--scenario` is given. */
export const DEMO_SCENARIO = fileURLToPath(new URL('./scenarios/demo-aws.yaml', import.meta.url));

export const SIM_USAGE = `Usage: npm run sim -- [options]

Runs the local cloud simulator (the real wire protocols of the APIs the product uses) on 127.0.0.1.

Options:
  --scenario <file>         Scenario file (YAML or JSON); repeat to merge several.
                            Default: test/sim/scenarios/demo-aws.yaml
  --port <n>                Port to listen on (default: a random free port).
  --latency-ms <n>          Latency added to every request.
  --latency-jitter-ms <n>   Up to this much more latency, at random.
  --throttle-rate <r>       Share of requests throttled, 0..1.
  --error-rate <r>          Share of requests answered with a 5xx, 0..1.
  --down-region <region>    Whole-region outage (503 ServiceUnavailable); repeatable.
  --fault-service <name>    Limit faults to this service (rds, sts, account, …); repeatable.
  --seed <n>                Seed of the random fault decisions (default 1).
  -h, --help                Show this help.

Clients: set AWS_ENDPOINT_URL to the printed endpoint and use the printed access key
(AKIA<account id>SIMK; any secret). Credentials for other accounts: AKIA<12-digit id>SIMK.`;

export interface SimCommand {
  readonly help: boolean;
  readonly scenarios: readonly string[];
  readonly port: number;
  readonly faults: Faults;
}

/** The command line error, with the usage hint. */
export class SimUsageError extends Error {
  constructor(message: string) {
    super(`${message}\nRun with --help for the options.`);
    this.name = 'SimUsageError';
  }
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || Number.isNaN(parsed))
    throw new SimUsageError(`--${name} must be a number, not "${value}"`);
  return parsed;
}

/** Parses the command line (without `node` and the script path). */
export function parseSimArgs(argv: readonly string[]): SimCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new SimUsageError((error as Error).message);
  }
  const port = numberOption('port', values.port) ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new SimUsageError('--port must be 0..65535');
  const faults = {
    latencyMs: numberOption('latency-ms', values['latency-ms']),
    latencyJitterMs: numberOption('latency-jitter-ms', values['latency-jitter-ms']),
    throttleRate: numberOption('throttle-rate', values['throttle-rate']),
    errorRate: numberOption('error-rate', values['error-rate']),
    downRegions: values['down-region'],
    services: values['fault-service'],
    seed: numberOption('seed', values.seed),
  };
  const checked = faultsSchema.safeParse(faults);
  if (!checked.success) {
    throw new SimUsageError(`bad fault option: ${z.prettifyError(checked.error).replaceAll('\n', ' ')}`);
  }
  return {
    help: values.help ?? false,
    scenarios: values.scenario && values.scenario.length > 0 ? values.scenario : [DEMO_SCENARIO],
    port,
    faults: checked.data,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', multiple: true },
      port: { type: 'string' },
      'latency-ms': { type: 'string' },
      'latency-jitter-ms': { type: 'string' },
      'throttle-rate': { type: 'string' },
      'error-rate': { type: 'string' },
      'down-region': { type: 'string', multiple: true },
      'fault-service': { type: 'string', multiple: true },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function describeFaults(faults: Faults): string {
  const parts: string[] = [];
  if (faults.latencyMs) parts.push(`latency ${faults.latencyMs} ms`);
  if (faults.latencyJitterMs) parts.push(`jitter up to ${faults.latencyJitterMs} ms`);
  if (faults.throttleRate) parts.push(`throttling ${Math.round(faults.throttleRate * 100)}%`);
  if (faults.errorRate) parts.push(`5xx ${Math.round(faults.errorRate * 100)}%`);
  if (faults.downRegions && faults.downRegions.length > 0)
    parts.push(`down: ${faults.downRegions.join(', ')}`);
  if (parts.length > 0 && faults.services) parts.push(`only for ${faults.services.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'none';
}

/** Runs the simulator until SIGINT/SIGTERM; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: SimCommand;
  try {
    command = parseSimArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${SIM_USAGE}\n`);
    return 0;
  }
  let sim: Awaited<ReturnType<typeof startSim>>;
  try {
    const scenario = await loadScenario(...command.scenarios);
    sim = await startSim({ scenario, port: command.port, faults: command.faults });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const account = sim.scenario.accounts[0]?.id ?? DEFAULT_ACCOUNT_ID;
  const environment = Object.entries(simEnvironment(sim.endpoint, account))
    .map(([name, value]) => `  export ${name}=${value}`)
    .join('\n');
  process.stdout.write(
    `certctl cloud simulator listening on ${sim.endpoint}\n` +
      `  scenario: ${command.scenarios.join(', ')}\n` +
      `  services: ${sim.services.map((service) => service.name).join(', ')}\n` +
      `  accounts: ${sim.scenario.accounts.map((entry) => entry.id).join(', ')}\n` +
      `  faults:   ${describeFaults(command.faults)}\n\n` +
      `Point the AWS SDK or CLI at it:\n${environment}\n\nPress Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return 0;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
