import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { childEntry, extraV8Flags, lambdaHeapFlags } from '../../bench/child-audit.ts';
import { AUDIT_MEMORY_MB } from '../../infra/scheduled-job.ts';

describe('lambdaHeapFlags', () => {
  it.each([
    // The Lambda runtime's bootstrap: new space a tenth of the memory (integer MB), each semi-space
    // half of it, old space the rest.
    [AUDIT_MEMORY_MB, ['--max-semi-space-size=88', '--max-old-space-size=1593']],
    [256, ['--max-semi-space-size=12', '--max-old-space-size=231']],
    [512, ['--max-semi-space-size=25', '--max-old-space-size=461']],
  ])('gives a %i MB function the heap limits the Lambda runtime starts it with', (memoryMb, flags) => {
    // Act + Assess
    expect(lambdaHeapFlags(memoryMb)).toEqual(flags);
  });
});

describe('extraV8Flags', () => {
  it('gives the children the space-separated flags of BENCH_V8_FLAGS, none when it is unset or blank', () => {
    // Act + Assess
    expect(
      extraV8Flags({ BENCH_V8_FLAGS: ' --min-semi-space-size=44  --initial-old-space-size=256 ' }),
    ).toEqual(['--min-semi-space-size=44', '--initial-old-space-size=256']);
    expect(extraV8Flags({ BENCH_V8_FLAGS: '  ' })).toEqual([]);
    expect(extraV8Flags({})).toEqual([]);
  });
});

describe('childEntry', () => {
  it.each(['BENCH_AS_SOURCES', 'BENCH_CPU_PROF', 'BENCH_PROFILE_DIR', 'BENCH_CPU_PROFILE'])(
    'runs the TypeScript sources when %s is set (profiles then name our files)',
    (name) => {
      // Act + Assess
      expect(childEntry('bench/audit-pitr-child.ts', { [name]: '/tmp/p' })).toBe('bench/audit-pitr-child.ts');
    },
  );

  it('otherwise runs the script bundled as a Lambda is deployed, built once', async () => {
    // Arrange: a child that uses project code and prints one JSON line, as the audit children do.
    // It imports lambdaHeapFlags from its own module, as the children import bench/child-side.ts
    // alone: through bench/child-audit.ts it bundled aws-cdk-lib too (3,135 files, a 40 MB bundle,
    // a minute or more of esbuild on the shared machine).
    const dir = await mkdtemp(join(tmpdir(), 'child-entry-'));
    const script = join(dir, 'child.ts');
    await writeFile(
      script,
      `import { lambdaHeapFlags } from ${JSON.stringify(resolve('infra/exec-wrapper.ts'))};\nconst typed: number = 256;\nprocess.stdout.write(JSON.stringify({ flags: lambdaHeapFlags(typed), url: import.meta.url }) + '\\n');\n`,
    );

    // Act
    const entry = childEntry(script, {});
    const again = childEntry(script, {});
    const { stdout } = await promisify(execFile)(process.execPath, [entry]);

    // Assess
    expect(entry).toMatch(/index\.mjs$/);
    expect(again).toBe(entry);
    const printed = JSON.parse(stdout) as { flags: string[]; url: string };
    expect(printed.flags).toEqual(['--max-semi-space-size=12', '--max-old-space-size=231']);
    expect(printed.url).toBe(pathToFileURL(entry).href);
    await rm(dir, { recursive: true, force: true });
  });
});
