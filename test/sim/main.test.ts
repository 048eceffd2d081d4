import { describe, expect, it } from 'vitest';
import { DEMO_SCENARIO, parseSimArgs, SIM_USAGE, SimUsageError } from './main.ts';

describe('parseSimArgs', () => {
  it('uses the demo scenario and a random port when no option is given', () => {
    expect(parseSimArgs([])).toMatchObject({ help: false, scenarios: [DEMO_SCENARIO], port: 0 });
  });

  it('collects repeated scenarios and fault options when they are given', () => {
    const command = parseSimArgs([
      '--scenario',
      'a.yaml',
      '--scenario',
      'b.yaml',
      '--port',
      '4566',
      '--latency-ms',
      '50',
      '--throttle-rate',
      '0.3',
      '--down-region',
      'eu-west-1',
      '--down-region',
      'us-east-1',
    ]);

    expect(command.scenarios).toEqual(['a.yaml', 'b.yaml']);
    expect(command.port).toBe(4566);
    expect(command.faults).toMatchObject({
      latencyMs: 50,
      throttleRate: 0.3,
      downRegions: ['eu-west-1', 'us-east-1'],
    });
  });

  it('refuses a throttle rate above 1 with a usage error', () => {
    expect(() => parseSimArgs(['--throttle-rate', '3'])).toThrow(SimUsageError);
  });

  it('refuses a value that is not a number with a usage error', () => {
    expect(() => parseSimArgs(['--latency-ms', 'fast'])).toThrow('--latency-ms must be a number, not "fast"');
  });

  it('refuses an unknown option with a usage error', () => {
    expect(() => parseSimArgs(['--region', 'x'])).toThrow(SimUsageError);
  });

  it('asks for help when given --help, whose text lists every option', () => {
    expect(parseSimArgs(['--help']).help).toBe(true);
    for (const option of [
      '--scenario',
      '--port',
      '--latency-ms',
      '--throttle-rate',
      '--down-region',
      '--help',
    ]) {
      expect(SIM_USAGE).toContain(option);
    }
  });
});
