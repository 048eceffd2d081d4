/**
 * The key-material chapter of `npm run demo`: the keys audit (the job the `audit-keys` Lambda and
 * the `auditKeys` Cloud Function run) over the demo secrets in Secrets Manager and Secret Manager,
 * published to the simulator's Security Hub: a healthy CA backup, a secret pending deletion, an
 * unreplicated one, one on the default key, a replica out of sync, an expired CA certificate, and
 * an RA key that does not match its certificate, and a Secret Manager backup whose Cloud KMS key
 * version is scheduled for destruction. Values are judged in memory and never printed.
 */
import { keysChecks } from '../../../functions/checks/keys/index.ts';
import { keyInventory } from '../../../functions/core/keys-policy.ts';
import { loadPolicyFile } from '../../../functions/core/policy-file.ts';
import { withSecretManager } from '../../../functions/gcp/secret-manager.ts';
import { renderConsole } from '../../../functions/publish/console.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../services/security-hub.ts';
import { publishedGroupAudit } from './audit.ts';
import type { DemoContext } from './context.ts';

/** The policy of this chapter: the demo policy plus the key-material inventory. */
export const DEMO_KEYS_POLICY = 'test/sim/scenarios/demo-keys-policy.yaml';

/** The keys audit of both clouds, published; returns the audit's exit code. */
export async function keysChapter({ sim, out, bold, color }: DemoContext): Promise<number> {
  const policy = await loadPolicyFile(DEMO_KEYS_POLICY);
  const inventory = policy.keys ? keyInventory(policy.keys) : [];
  out(`\n${bold('Key material')}\n`);
  out(
    `Policy ${DEMO_KEYS_POLICY}: ${inventory.length} items of certctl's preset in ${new Set(inventory.map((item) => JSON.stringify(item.location))).size} secrets, values inspected in memory only, the live CA by its fingerprint.\n`,
  );
  out(`${bold('$ audit-keys (Lambda) + auditKeys (Cloud Function), publishing')}\n`);
  const outcome = await publishedGroupAudit(sim, policy, 'keys', withSecretManager);
  const checkOrder = keysChecks.map((check) => check.metadata.id);
  out(`${renderConsole(outcome.report, { color, checkOrder })}\n`);
  const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
  const keys = hub.allFindings().filter((entry) => entry.finding.ProductFields?.checkGroup === 'keys');
  out(
    `\n${bold('Security Hub')}: ${keys.length} keys findings, one per check and secret; Secrets Manager secrets as AwsSecretsManagerSecret, Secret Manager as Other.\n`,
  );
  const { requests, byOperation } = sim.stats();
  const valueReads =
    (byOperation['secretsManager:BatchGetSecretValue'] ?? 0) +
    (byOperation['secretsManager:GetSecretValue'] ?? 0) +
    (byOperation['secretManager:versions.access'] ?? 0);
  out(
    `API calls: ${requests}, publishing included; ${valueReads} of them value reads (keys.inspectSecretValues); no value is printed, logged or published.\n`,
  );
  out(`The keys audit's exit code is ${outcome.exitCode}.\n`);
  return outcome.exitCode;
}
