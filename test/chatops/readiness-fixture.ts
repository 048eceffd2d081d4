/** A readiness of certctl-prod alone, NO-GO on the gates given (chat answer tests). */
import type { ChatReadiness, ChatReadinessGate } from '../../functions/chatops/actions.ts';

export function certctlProdNoGo(gates: readonly ChatReadinessGate[]): ChatReadiness {
  return {
    verdict: 'NO-GO',
    evaluatedAt: '2026-12-03T12:00:00.000Z',
    targets: [{ name: 'certctl-prod', location: 'aws/111111111111/eu-west-1', status: 'NO-GO', gates }],
    notEvaluated: [],
  };
}
