import { describe, expect, it } from 'vitest';
import { lambdaHeapFlags } from '../../bench/child-audit.ts';
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
