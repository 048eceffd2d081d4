/**
 * The GCP planner, shared by every check group: one scope per (project, group) with region `*`,
 * because a project's resources are listed across every region in one call (`instances.list` for
 * Cloud SQL); each finding still names the resource's own region. A failed listing fails the
 * whole project scope (NOT_AVAILABLE, never PASSED, and no earlier finding in it is resolved).
 */
import type { PlannedScope, ScopePlace } from '../core/audit.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';

/** Region of a project-wide scope. */
export const ALL_REGIONS = '*';

export interface PlanGcpScopesOptions {
  readonly groups: readonly CheckGroup[];
  /** Projects of this run (CLI `--project`, request body); the policy's `gcp.projects` otherwise. */
  readonly projects?: readonly string[];
  /**
   * The places of a group whose resources the policy names (dumps: each location's project), or
   * undefined for a group audited in every project: such a group is planned only in the run's
   * projects that hold one of its places.
   */
  readonly placesOf?: (group: CheckGroup) => readonly ScopePlace[] | undefined;
  /** Plan a placed group in every project of its places, whatever `projects` says (readiness). */
  readonly placesEverywhere?: boolean;
}

/** The scopes of one GCP run, in project then group order. */
export function planGcpScopes(policy: Policy, options: PlanGcpScopesOptions): PlannedScope[] {
  const placed = new Map(options.groups.map((group) => [group, options.placesOf?.(group)] as const));
  // With placesEverywhere, the placed groups' own projects are read too (readiness: --project narrows
  // the databases, never the key material and dump locations a GO rests on).
  const placeProjects = options.placesEverywhere
    ? [...placed.values()].flatMap((places) => (places ?? []).map((place) => place.account))
    : [];
  const projects = [...new Set([...(options.projects ?? policy.gcp.projects), ...placeProjects])];
  const narrowedTo = new Set(options.projects ?? policy.gcp.projects);
  return projects.flatMap((project) =>
    options.groups
      .filter((group) => {
        const places = placed.get(group);
        if (places === undefined) return narrowedTo.has(project);
        return places.some((place) => place.account === project);
      })
      .map((group) => ({
        scope: { provider: 'gcp', account: project, region: ALL_REGIONS, group },
      })),
  );
}
