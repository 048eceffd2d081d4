/**
 * A function's input (a Lambda's event, a Cloud Function's body) with a mistyped field names the
 * field it likely means, as the policy does, so a schedule's Input or a caller's body is fixed in
 * one try.
 */
import { describe, expect, it } from 'vitest';
import { auditInputSchema } from '../../functions/handlers/aws/audit-handler.ts';
import { parseFunctionInput } from '../../functions/handlers/aws/function-dependencies.ts';
import { parseSnapshotEvent } from '../../functions/handlers/aws/snapshot.ts';
import { parseAuditPitrRequest } from '../../functions/handlers/gcp/audit-pitr.ts';
import { parseSnapshotFunctionRequest } from '../../functions/handlers/gcp/snapshot.ts';

describe('function input', () => {
  it('suggests the field a mistyped key of a Lambda event likely means', () => {
    // Act / Assess
    expect(() => parseFunctionInput('audit-pitr', auditInputSchema, { region: ['eu-west-1'] })).toThrow(
      'audit-pitr input is invalid: (root): Unrecognized key: "region"; did you mean "regions"?',
    );
    expect(() =>
      parseSnapshotEvent({ requestId: 'r1', reason: 'CA rotation', requestedBy: 'ops', tikcet: 'CHG-1' }),
    ).toThrow('snapshot input is invalid: (root): Unrecognized key: "tikcet"; did you mean "ticket"?');
    // A key like no field is named as before, with nothing guessed.
    expect(() => parseFunctionInput('audit-pitr', auditInputSchema, { zzzzzz: true })).toThrow(
      /Unrecognized key: "zzzzzz"$/,
    );
  });

  it('suggests the field a mistyped key of a Cloud Function body likely means', () => {
    // Act / Assess
    expect(() => parseAuditPitrRequest(JSON.stringify({ project: ['certctl-prod'] }))).toThrow(
      'auditPitr body is invalid: (root): Unrecognized key: "project"; did you mean "projects"?',
    );
    expect(() =>
      parseSnapshotFunctionRequest(
        JSON.stringify({
          action: 'snapshot',
          requestId: 'r',
          reason: 'x',
          requestedBy: 'o',
          tikcet: 'CHG-1',
        }),
      ),
    ).toThrow(/Unrecognized key: "tikcet"; did you mean "ticket"\?/);
  });

  it('refuses a target with an invisible character or a blank, as the policy refuses such an identifier', () => {
    // Act / Assess
    expect(() =>
      parseSnapshotEvent({
        requestId: 'r1',
        reason: 'CA rotation',
        requestedBy: 'ops',
        targets: ['certctl-prod-db\u200b'],
      }),
    ).toThrow(
      'snapshot input is invalid: targets.0: holds a character nobody reading it would see (U+200B); type the identifier again without it',
    );
    expect(() =>
      parseSnapshotFunctionRequest(
        JSON.stringify({
          action: 'snapshot',
          requestId: 'r1',
          reason: 'CA rotation',
          requestedBy: 'ops',
          targets: ['certctl-prod-db certctl-prod-aurora'],
        }),
      ),
    ).toThrow(
      'snapshot body is invalid: targets.0: holds a blank; a DB or cluster identifier, Cloud SQL instance name or ARN has none',
    );
  });

  it('refuses a snapshot request naming more databases than one request may (chat’s 50), naming the count and the limit', () => {
    // Prepare: a request's result lists each database, and is remembered in one idempotency record
    // (a DynamoDB item holds at most 400 KB).
    const named = (count: number) => Array.from({ length: count }, (_, index) => `certctl-db-${index}`);
    const request = { requestId: 'r1', reason: 'CA rotation', requestedBy: 'ops' };

    // Act / Assess: 50 pass; 51 are refused by the Lambda and the Cloud Function alike.
    expect(parseSnapshotEvent({ ...request, targets: named(50) }).targets).toHaveLength(50);
    expect(() => parseSnapshotEvent({ ...request, targets: named(51) })).toThrow(
      'snapshot input is invalid: targets: lists 51 names, more than the 50 databases one request may name; split them over requests, each with its own request id',
    );
    expect(() =>
      parseSnapshotFunctionRequest(JSON.stringify({ action: 'snapshot', ...request, targets: named(400) })),
    ).toThrow(
      'snapshot body is invalid: targets: lists 400 names, more than the 50 databases one request may name; split them over requests, each with its own request id',
    );
  });

  it('lists the first ten problems of a huge input and counts the rest, so the error stays readable and loggable', () => {
    // Prepare: thousands of bad items, and thousands of unknown keys (one problem naming them all).
    const regions = Array.from({ length: 5000 }, (_, index) => `not a region ${index}`);
    const projects = Array.from({ length: 100_000 }, (_, index) => `Not A Project ${index}`);
    const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`unknown-key-${index}`, 1]));

    // Act
    const messages = [
      () => parseFunctionInput('audit-pitr', auditInputSchema, { regions }),
      () => parseAuditPitrRequest(JSON.stringify({ projects })),
      () => parseSnapshotEvent({ requestId: 'r1', reason: 'CA rotation', requestedBy: 'ops', ...keys }),
    ].map((parse) => {
      try {
        parse();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    });

    // Assess
    expect(messages[0]).toMatch(
      /^audit-pitr input is invalid: regions\.0: must be an AWS region name such as eu-west-1; .*; regions\.9: must be an AWS region name such as eu-west-1; and 4990 more$/,
    );
    expect(messages[1]).toMatch(
      /^auditPitr body is invalid: projects\.0: must be a GCP project id; .*; and 99990 more$/,
    );
    expect(messages[2]).toMatch(
      /^snapshot input is invalid: \(root\): Unrecognized keys: "unknown-key-0", .*…$/,
    );
    for (const message of messages) expect(message.length).toBeLessThan(6000);
  });

  it('names the action a key belongs to when another action of the body takes it, never guessing the key itself', () => {
    // Act / Assess: `targets` is a field of a snapshot request, not of readiness.
    expect(() =>
      parseSnapshotFunctionRequest(JSON.stringify({ action: 'readiness', targets: ['certctl-prod-db'] })),
    ).toThrow(
      /^snapshot body is invalid: \(root\): Unrecognized key: "targets"; "targets" goes only with action: snapshot$/,
    );
  });
});
