/**
 * The CDK app (`cdk.json`: `node infra/app.ts`, Node 24 runs the TypeScript directly). Reads the
 * policy from the `backupGuardPolicy` context, validates it with the one policy schema, and
 * synthesizes the stacks. A bad policy stops synth with each bad field and the reason, not a
 * stack trace.
 */
import { App } from 'aws-cdk-lib';
import { PolicyError } from '../functions/core/errors.ts';
import { buildBackupGuardApp } from './backup-guard-app.ts';
import { POLICY_CONTEXT_KEY, readPolicyContext } from './policy-context.ts';

// autoSynth off: a half-built app must never be synthesized when the policy is rejected.
const app = new App({ autoSynth: false });
try {
  buildBackupGuardApp(app, { policy: readPolicyContext(app.node.tryGetContext(POLICY_CONTEXT_KEY)) });
  app.synth();
} catch (error) {
  if (!(error instanceof PolicyError)) throw error;
  console.error(
    `certctl-backup-guard: ${error.message}\nFix "${POLICY_CONTEXT_KEY}" in cdk.json (or pass -c ${POLICY_CONTEXT_KEY}='{...}').`,
  );
  process.exitCode = 1;
}
