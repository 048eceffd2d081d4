/**
 * The readiness job: go/no-go before a CA rotation or any destructive maintenance. GO only when,
 * for every target:
 * - every audit gate passes: the audit job runs every registered check group (so the key-material
 *   and dump groups count as soon as they are registered), and the target's findings must be PASSED
 *   or WARNING; fleet-wide groups (buckets, secrets) gate every target alike;
 * - a successful pre-maintenance snapshot of ours (by tag) younger than
 *   `snapshots.readinessMaxAgeHours` exists.
 * Each gate carries its evidence and, when not green, what to do. A gate that could not be
 * evaluated makes the answer "could not evaluate" (exit 2) unless another gate already says NO-GO.
 */

import type { BackendSnapshot } from '../actions/snapshot/backend.ts';
import { isOurs, type SnapshotTarget, targetKey } from '../actions/snapshot/model.ts';
import type { AuditReport } from '../core/audit.ts';
import { describeError } from '../core/errors.ts';
import {
  CHECK_GROUPS,
  type CheckGroup,
  type Finding,
  type Provider,
  type ResourceRef,
  resourceKey,
} from '../core/finding.ts';
import { type AuditDependencies, runAuditReport } from './audit.ts';
import { checkGroups } from './groups.ts';
import { type GcpSnapshotClients, snapshotBackendFor } from './snapshot.ts';

export type GateStatus = 'GO' | 'NO-GO' | 'UNKNOWN';

/** One gate of one target: its status, the evidence, and what to do when it is not GO. */
export interface ReadinessGate {
  /** `audit:pitr`, `audit:keys`, `snapshot`, … */
  readonly gate: string;
  readonly status: GateStatus;
  readonly evidence: string;
  readonly action?: string;
}

export interface TargetReadiness {
  readonly target: ResourceRef;
  readonly status: GateStatus;
  readonly gates: readonly ReadinessGate[];
}

export interface ReadinessResult {
  readonly verdict: GateStatus;
  /** 0 GO, 1 NO-GO, 2 could not evaluate. */
  readonly exitCode: 0 | 1 | 2;
  readonly evaluatedAt: string;
  readonly targets: readonly TargetReadiness[];
  /** Gates that could not be evaluated at all, and why (a check group not installed, a region not read). */
  readonly notEvaluated: readonly string[];
}

export interface ReadinessRequest {
  readonly providers: readonly Provider[];
  readonly regions?: readonly string[];
  readonly projects?: readonly string[];
}

export interface ReadinessDependencies extends AuditDependencies {
  readonly gcpSnapshots?: GcpSnapshotClients;
}

const TARGET_TYPES = new Set(['AwsRdsDbInstance', 'AwsRdsDbCluster', 'GcpCloudSqlInstance']);
const HOUR_MS = 3_600_000;

function kindOf(resource: ResourceRef): SnapshotTarget['kind'] {
  if (resource.type === 'AwsRdsDbCluster') return 'aurora-cluster';
  if (resource.type === 'GcpCloudSqlInstance') return 'cloudsql-instance';
  return 'rds-instance';
}

function combine(statuses: readonly GateStatus[]): GateStatus {
  if (statuses.includes('NO-GO')) return 'NO-GO';
  if (statuses.includes('UNKNOWN') || statuses.length === 0) return 'UNKNOWN';
  return 'GO';
}

function observedText(finding: Finding): string {
  const values = Object.entries(finding.observed)
    .filter(([, value]) => value !== null && value !== '')
    .slice(0, 3)
    .map(([key, value]) => `${key} ${value}`);
  return values.length > 0 ? ` (${values.join(', ')})` : '';
}

/** The gate of one check group over a set of findings. */
export function auditGate(group: CheckGroup, findings: readonly Finding[]): ReadinessGate {
  const failed = findings.filter((finding) => finding.status === 'FAILED');
  const unknown = findings.filter((finding) => finding.status === 'NOT_AVAILABLE');
  const gate = `audit:${group}`;
  if (failed.length > 0) {
    return {
      gate,
      status: 'NO-GO',
      evidence: failed.map((finding) => `${finding.checkId} FAILED${observedText(finding)}`).join('; '),
      action: [...new Set(failed.map((finding) => finding.remediation.text))].join(' '),
    };
  }
  if (unknown.length > 0) {
    return {
      gate,
      status: 'UNKNOWN',
      evidence: unknown
        .map((finding) => `${finding.checkId} NOT_AVAILABLE: ${finding.description}`)
        .join('; '),
      action:
        'Fix what kept the check from evaluating (permissions, an unreachable region), then run readiness again.',
    };
  }
  if (findings.length === 0) {
    return {
      gate,
      status: 'UNKNOWN',
      evidence: 'no finding for this target',
      action: 'Check that the policy selects this target.',
    };
  }
  return {
    gate,
    status: 'GO',
    evidence: findings
      .map((finding) => `${finding.checkId} ${finding.status}${observedText(finding)}`)
      .join('; '),
  };
}

/** The snapshot gate: the newest available snapshot of ours, younger than the limit. */
export function snapshotGate(
  snapshots: readonly BackendSnapshot[] | Error,
  target: ResourceRef,
  maxAgeHours: number,
  now: Date,
): ReadinessGate {
  const action = `Run 'backup-guard snapshot --target ${target.id} --reason "<why>" --ticket <ticket> --wait' and run readiness again.`;
  if (snapshots instanceof Error) {
    return {
      gate: 'snapshot',
      status: 'UNKNOWN',
      evidence: `snapshots not listed: ${describeError(snapshots)}`,
      action,
    };
  }
  const ours = snapshots
    .filter((snapshot) => snapshot.target.toLowerCase() === target.id.toLowerCase() && isOurs(snapshot.tags))
    .filter((snapshot) => snapshot.status === 'available' && snapshot.createdAt !== undefined)
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  const newest = ours[0];
  if (!newest?.createdAt) {
    return {
      gate: 'snapshot',
      status: 'NO-GO',
      evidence: 'no successful pre-maintenance snapshot of ours',
      action,
    };
  }
  const ageHours = (now.getTime() - newest.createdAt.getTime()) / HOUR_MS;
  const evidence = `${newest.id}, ${ageHours.toFixed(1)} h old (limit ${maxAgeHours} h)`;
  if (ageHours > maxAgeHours) return { gate: 'snapshot', status: 'NO-GO', evidence, action };
  return { gate: 'snapshot', status: 'GO', evidence };
}

/** Judge readiness from an audit report and the snapshots of each target. */
export function judgeReadiness(
  report: AuditReport,
  snapshotsOf: (target: ResourceRef) => readonly BackendSnapshot[] | Error,
  maxAgeHours: number,
  now: Date,
): ReadinessResult {
  const registered = new Set(checkGroups().map((group) => group.name));
  const notEvaluated: string[] = CHECK_GROUPS.filter((group) => !registered.has(group)).map(
    (group) =>
      `audit:${group}: no such check group is installed in this version, so it is not part of the verdict`,
  );
  for (const scope of report.scopes) {
    if (scope.status === 'failed') {
      notEvaluated.push(
        `audit:${scope.scope.group} in ${scope.scope.account}/${scope.scope.region}: ${scope.error?.message ?? 'not read'}`,
      );
    }
  }
  for (const failure of report.unplanned ?? [])
    notEvaluated.push(`${failure.provider}: not audited (${failure.message})`);
  for (const identifier of report.unmatchedTargets ?? [])
    notEvaluated.push(`target ${identifier}: named by the policy but not found`);

  const targets = new Map<string, ResourceRef>();
  const perTarget = new Map<string, Finding[]>();
  const fleet = new Map<CheckGroup, Finding[]>();
  for (const finding of report.findings) {
    if (TARGET_TYPES.has(finding.resource.type)) {
      const key = resourceKey(finding.resource);
      targets.set(key, finding.resource);
      perTarget.set(key, [...(perTarget.get(key) ?? []), finding]);
    } else if (finding.resource.type !== 'Scope') {
      fleet.set(finding.group, [...(fleet.get(finding.group) ?? []), finding]);
    }
  }
  const fleetGates = [...fleet].map(([group, findings]) => auditGate(group, findings));
  const judged: TargetReadiness[] = [...targets].map(([key, target]) => {
    const findings = perTarget.get(key) ?? [];
    const groups = [...new Set(findings.map((finding) => finding.group))];
    const gates = [
      ...groups.map((group) =>
        auditGate(
          group,
          findings.filter((finding) => finding.group === group),
        ),
      ),
      ...fleetGates,
      snapshotGate(snapshotsOf(target), target, maxAgeHours, now),
    ];
    return { target, status: combine(gates.map((gate) => gate.status)), gates };
  });
  const statuses = judged.map((entry) => entry.status);
  const incomplete = notEvaluated.some((note) => !note.includes('not part of the verdict'));
  let verdict = combine(statuses);
  if (verdict === 'GO' && incomplete) verdict = 'UNKNOWN';
  return {
    verdict,
    exitCode: verdict === 'GO' ? 0 : verdict === 'NO-GO' ? 1 : 2,
    evaluatedAt: now.toISOString(),
    targets: judged,
    notEvaluated,
  };
}

/** Audit every registered group, list our snapshots per target scope, and judge. */
export async function runReadinessJob(
  request: ReadinessRequest,
  deps: ReadinessDependencies,
): Promise<ReadinessResult> {
  const now = deps.now ?? (() => new Date());
  const report = await runAuditReport(
    {
      providers: request.providers,
      ...(request.regions ? { regions: request.regions } : {}),
      ...(request.projects ? { projects: request.projects } : {}),
      publish: false,
    },
    deps,
  );
  const targets = report.findings
    .map((finding) => finding.resource)
    .filter((resource) => TARGET_TYPES.has(resource.type));
  const byScope = new Map<
    string,
    { scope: ResourceRef; kinds: Map<SnapshotTarget['kind'], SnapshotTarget[]> }
  >();
  for (const resource of targets) {
    const scopeKey = `${resource.provider}/${resource.account}/${resource.region}`;
    const entry = byScope.get(scopeKey) ?? { scope: resource, kinds: new Map() };
    const kind = kindOf(resource);
    const list: SnapshotTarget[] = entry.kinds.get(kind) ?? [];
    if (!list.some((known) => known.id === resource.id)) {
      list.push({
        provider: resource.provider,
        kind,
        account: resource.account,
        region: resource.region,
        id: resource.id,
      });
    }
    entry.kinds.set(kind, list);
    byScope.set(scopeKey, entry);
  }
  const backendFor = snapshotBackendFor({
    policy: deps.policy,
    providers: request.providers,
    ...(deps.aws ? { aws: deps.aws } : {}),
    ...(deps.gcpSnapshots ? { gcp: deps.gcpSnapshots } : {}),
  });
  const listed = new Map<string, readonly BackendSnapshot[] | Error>();
  await Promise.all(
    [...byScope.values()].flatMap(({ scope, kinds }) =>
      [...kinds].map(async ([kind, kindTargets]) => {
        let snapshots: readonly BackendSnapshot[] | Error;
        try {
          snapshots = await backendFor(scope).listManual(kind, kindTargets);
        } catch (error) {
          snapshots = error instanceof Error ? error : new Error(String(error));
        }
        for (const target of kindTargets) listed.set(targetKey(target), snapshots);
      }),
    ),
  );
  return judgeReadiness(
    report,
    (target) => listed.get(targetKey(target)) ?? new Error('not listed'),
    deps.policy.snapshots.readinessMaxAgeHours,
    now(),
  );
}

/** The answer as text: verdict, then each target's gates, then what could not be evaluated. */
export function renderReadiness(result: ReadinessResult): string {
  const lines = [`Readiness: ${result.verdict === 'UNKNOWN' ? 'COULD NOT EVALUATE' : result.verdict}`];
  for (const target of result.targets) {
    lines.push(
      `  ${target.status.padEnd(7)} ${target.target.provider}/${target.target.account}/${target.target.region}/${target.target.id}`,
    );
    for (const gate of target.gates) {
      lines.push(`    ${gate.status.padEnd(7)} ${gate.gate}: ${gate.evidence}`);
      if (gate.action && gate.status !== 'GO') lines.push(`            do: ${gate.action}`);
    }
  }
  for (const note of result.notEvaluated) lines.push(`  not evaluated: ${note}`);
  return `${lines.join('\n')}\n`;
}
