/**
 * cdk-nag (v3) acknowledgements. cdk-nag 3 runs as a CDK policy-validation plugin and reads
 * acknowledgements from CDK's own `Validations.of(construct).acknowledge()`; a rule that reports
 * several findings (IAM5 lists each wildcard) needs one acknowledgement per finding, named
 * `RuleId[Finding]`. Every acknowledgement goes through {@link acknowledge} with a reason that says
 * why the rule does not apply here, so the reasons live next to the resource they excuse and the
 * tests can check that none is empty or vague.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One acknowledged cdk-nag rule, or some of its findings. */
export interface NagAcknowledgement {
  /** The rule, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is acceptable here; at least a full sentence. */
  readonly reason: string;
  /**
   * The findings acknowledged (e.g. `Resource::arn:<AWS::Partition>:rds:*:<AWS::AccountId>:db:*`).
   * @default the rule as a whole (for rules that report a single finding)
   */
  readonly findings?: readonly string[];
}

/** The shortest reason accepted: a rule id or a word is not a justification. */
export const MIN_REASON_LENGTH = 40;

/** The acknowledgement ids cdk-nag matches: `RuleId` or `RuleId[Finding]`. */
export function acknowledgementIds(acknowledgement: NagAcknowledgement): string[] {
  const { id, findings } = acknowledgement;
  return findings ? findings.map((finding) => `${id}[${finding}]`) : [id];
}

/** Acknowledge cdk-nag findings on `construct` (and so on every resource below it). */
export function acknowledge(construct: IConstruct, acknowledgements: readonly NagAcknowledgement[]): void {
  for (const acknowledgement of acknowledgements) {
    const { id, reason } = acknowledgement;
    if (reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `cdk-nag acknowledgement ${id} on ${construct.node.path} needs a real reason, got "${reason}"`,
      );
    }
    for (const ackId of acknowledgementIds(acknowledgement)) {
      Validations.of(construct).acknowledge({ id: ackId, reason });
    }
  }
}

/** `Resource::arn:<AWS::Partition>:...` as cdk-nag names a wildcard resource. */
export function nagResource(service: string, region: string, resource: string): string {
  return `Resource::arn:<AWS::Partition>:${service}:${region}:<AWS::AccountId>:${resource}`;
}
