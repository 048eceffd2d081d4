/**
 * The exec wrapper the audit Lambdas start through (infra/exec-wrapper.ts): its flag follows the
 * function's memory as the Lambda runtime's heap limits do, it passes the runtime's arguments through
 * unchanged, and only the audit functions are started through it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployedNodeFlags } from '../../bench/child-audit.ts';
import {
  EXEC_WRAPPER_ENV,
  EXEC_WRAPPER_FILE,
  execWrapperFlags,
  execWrapperScript,
  LAMBDA_TASK_ROOT,
  lambdaHeapFlags,
} from '../../infra/exec-wrapper.ts';
import { AUDIT_MEMORY_MB } from '../../infra/scheduled-job.ts';
import { CHAT_POLICY, MEMBER_KEYS_POLICY, synthesize } from './support.ts';

describe('execWrapperFlags', () => {
  it.each([
    [AUDIT_MEMORY_MB, '--initial-old-space-size=442'],
    [256, '--initial-old-space-size=64'],
    [512, '--initial-old-space-size=128'],
  ])(
    'starts a %i MB function old generation at a quarter of its memory, within the runtime maximum',
    (memoryMb, flag) => {
      // Act
      const flags = execWrapperFlags(memoryMb);

      // Assess
      expect(flags).toEqual([flag]);
      const max = lambdaHeapFlags(memoryMb).find((f) => f.startsWith('--max-old-space-size='));
      expect(Number(flag.split('=')[1])).toBeLessThan(Number(max?.split('=')[1]));
    },
  );

  it('is what the benchmark children run with, before the heap limits', () => {
    // Act + Assess
    expect(deployedNodeFlags(AUDIT_MEMORY_MB)).toEqual([
      '--initial-old-space-size=442',
      '--max-semi-space-size=88',
      '--max-old-space-size=1593',
    ]);
  });
});

describe('execWrapperScript', () => {
  it('runs the interpreter it is given with the flag right after it and every original argument unchanged', () => {
    // Arrange: a fake interpreter that prints its arguments, NUL-separated.
    const dir = mkdtempSync(join(tmpdir(), 'exec-wrapper-'));
    try {
      const fakeNode = join(dir, 'node');
      writeFileSync(fakeNode, '#!/bin/sh\nprintf "%s\\0" "$0" "$@"\n');
      chmodSync(fakeNode, 0o755);
      const wrapper = join(dir, EXEC_WRAPPER_FILE);
      writeFileSync(wrapper, execWrapperScript(AUDIT_MEMORY_MB));
      chmodSync(wrapper, 0o755);
      const original = [
        '--max-semi-space-size=88',
        '--max-old-space-size=1593',
        '/var/runtime/index.mjs',
        'two words',
        '',
        '*',
        '$HOME',
        '-e',
        'it\'s "quoted"\nacross lines',
      ];

      // Act
      const printed = execFileSync(wrapper, [fakeNode, ...original], { encoding: 'utf8' });

      // Assess
      expect(printed.split('\0').slice(0, -1)).toEqual([
        fakeNode,
        '--initial-old-space-size=442',
        ...original,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the functions started through the wrapper', () => {
  it('sets AWS_LAMBDA_EXEC_WRAPPER on the three audit functions and on no other', () => {
    // Prepare: a policy with every optional function (dumps, keys, ChatOps, snapshots, readiness).
    const synthesized = synthesize({ ...CHAT_POLICY, keys: MEMBER_KEYS_POLICY.keys });

    // Act
    const functions = synthesized.templates.audit.findResources('AWS::Lambda::Function');
    const wrapped = Object.entries(functions)
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.[EXEC_WRAPPER_ENV] !== undefined)
      .map(([id, fn]) => [
        id.replace(/Function[0-9A-F]{8}$/, ''),
        fn.Properties.Environment.Variables[EXEC_WRAPPER_ENV],
      ]);

    // Assess
    expect(Object.keys(functions).length).toBeGreaterThan(3);
    expect(wrapped.sort()).toEqual(
      ['AuditDumps', 'AuditKeys', 'AuditPitr'].map((id) => [id, `${LAMBDA_TASK_ROOT}/${EXEC_WRAPPER_FILE}`]),
    );
  });
});
