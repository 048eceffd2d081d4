/** The GCP plan's key-material grants: viewer on inventory projects; accessor only with inspection, only on inventory secrets. */
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { keyMaterialGrants } from '../../infra/gcp/plan.ts';
import { keysPolicy } from '../fixtures/keys/world.ts';

const MEMBER = 'serviceAccount:audit@certctl-prod.iam.gserviceaccount.com';
const roles = (inspect: boolean) =>
  keyMaterialGrants(parsePolicy(keysPolicy(inspect)), MEMBER).map((step) =>
    step.kind === 'run'
      ? step.argv
          .filter((arg) => !arg.startsWith('--member') && arg !== '--quiet' && arg !== '--condition=None')
          .join(' ')
      : '',
  );

describe('keyMaterialGrants', () => {
  it('grants secretmanager.viewer on the inventory project and no accessor when inspection is off', () => {
    expect(roles(false)).toEqual([
      'gcloud projects add-iam-policy-binding certctl-prod --role=roles/secretmanager.viewer',
    ]);
  });
  it('adds secretAccessor on each inventory secret only when inspection is on', () => {
    expect(roles(true).slice(1)).toEqual([
      'gcloud secrets add-iam-policy-binding certctl-ca-backup --project=certctl-prod --role=roles/secretmanager.secretAccessor',
      'gcloud secrets add-iam-policy-binding certctl-config-key --project=certctl-prod --role=roles/secretmanager.secretAccessor',
    ]);
  });
  it('grants nothing when the policy has no inventory', () => {
    expect(keyMaterialGrants(parsePolicy({}), MEMBER)).toEqual([]);
  });
});
