/**
 * Errors of the simulator itself (not of the simulated clouds, which answer in their own protocols).
 */

/** One bad field of a scenario: dotted `path` (`services.rds.instances.2.region`) and why. */
export interface ScenarioIssue {
  readonly path: string;
  readonly message: string;
}

/** A scenario file (or an in-memory scenario) is unreadable or does not match its schema. */
export class ScenarioError extends Error {
  /** The file the problem is in, when it is known. */
  readonly file: string | undefined;
  readonly issues: readonly ScenarioIssue[];
  constructor(
    message: string,
    file: string | undefined,
    issues: readonly ScenarioIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ScenarioError';
    this.file = file;
    this.issues = issues;
  }
}

/** Formats one or more issues of a `source` (a file name or "scenario") into a ScenarioError. */
export function scenarioError(
  source: string,
  file: string | undefined,
  issues: readonly ScenarioIssue[],
): ScenarioError {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  return new ScenarioError(`${source} is invalid:\n${lines.join('\n')}`, file, issues);
}
