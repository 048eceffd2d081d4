/**
 * The number of a policy project (Resource Manager v1 projects.get), which every Cloud Storage dump
 * bucket's projectNumber must equal (functions/gcp/gcs-dumps.ts): read only when sent as a number.
 */
import { describe, expect, it } from 'vitest';
import {
  type ResourceManagerApi,
  ResourceManagerRestClient,
  readProjectNumber,
} from '../../functions/gcp/resource-manager.ts';
import { GcpApiError } from '../../functions/gcp/rest-request.ts';
import { startSim } from '../sim/server.ts';
import { simProjectNumber } from '../sim/services/resource-manager.ts';
import { loopback } from './loopback.ts';

const answering = (answer: () => Promise<unknown>): ResourceManagerApi => ({
  getProject: () => answer() as never,
});

describe('readProjectNumber', () => {
  it('reads the projectNumber projects.get sends', async () => {
    // Act
    const reading = await readProjectNumber(
      answering(async () => ({ projectNumber: '415104041262', projectId: 'certctl-prod' })),
      'certctl-prod',
    );
    // Assess
    expect(reading).toEqual({ state: 'read', value: '415104041262' });
  });

  it.each([
    ['no projectNumber', {}],
    ['an empty projectNumber', { projectNumber: '' }],
    ['a projectNumber that is not a number', { projectNumber: 'certctl-prod' }],
  ])('keeps the number unknown when projects.get sends %s', async (_, project) => {
    // Act
    const reading = await readProjectNumber(
      answering(async () => project),
      'certctl-prod',
    );
    // Assess
    expect(reading).toEqual({
      state: 'unknown',
      reason: 'projects.get of certctl-prod sent no projectNumber',
    });
  });

  it('names the permission when projects.get is refused, and the failure otherwise', async () => {
    // Act
    const refused = await readProjectNumber(
      answering(async () => {
        throw new GcpApiError(
          'Resource Manager GET projects/certctl-prod answered 403',
          403,
          'PERMISSION_DENIED',
        );
      }),
      'certctl-prod',
    );
    const failing = await readProjectNumber(
      answering(async () => {
        throw new GcpApiError('Resource Manager GET projects/certctl-prod answered 503', 503, 'UNAVAILABLE');
      }),
      'certctl-prod',
    );
    // Assess
    expect(refused).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('needs resourcemanager.projects.get on certctl-prod'),
    });
    // Readiness in the snapshot and chat-action functions calls it too, each as its own account.
    expect(refused).toMatchObject({
      reason: expect.stringContaining(
        'the service account that made the call (the audit, snapshot or chat-action',
      ),
    });
    expect(failing).toMatchObject({ state: 'unknown', reason: expect.stringContaining('503') });
    expect(failing.state === 'unknown' && failing.reason).not.toContain('resourcemanager.projects.get');
  });
});

describe('readProjectNumber when the Resource Manager API is not enabled', () => {
  it('names enabling the API on the consumer project as the fix, not a permission', async () => {
    // Prepare: the simulator answers projects.get of a project listed in `disabled` as Google does
    // for a disabled API: 403 PERMISSION_DENIED with the ErrorInfo reason SERVICE_DISABLED.
    const sim = await startSim({
      scenario: { services: { resourceManager: { disabled: ['certctl-no-crm'] } } },
    });
    const api = new ResourceManagerRestClient({ endpoint: sim.endpoint });
    // Act
    let reading: Awaited<ReturnType<typeof readProjectNumber>>;
    try {
      reading = await readProjectNumber(api, 'certctl-no-crm');
    } finally {
      await sim.close();
    }
    // Assess
    const consumer = simProjectNumber('certctl-no-crm');
    expect(reading).toEqual({
      state: 'unknown',
      reason: `projects.get of certctl-no-crm was refused (SERVICE_DISABLED): the cloudresourcemanager.googleapis.com API is not enabled on project ${consumer}: enable it (\`gcloud services enable cloudresourcemanager.googleapis.com --project ${consumer}\`)`,
      remedy: `The cloudresourcemanager.googleapis.com API is not enabled on project ${consumer}: enable it (\`gcloud services enable cloudresourcemanager.googleapis.com --project ${consumer}\`), then run the audit again.`,
    });
  });
});

describe('readProjectNumber over REST, when Google refuses the call', () => {
  it('says what Google said in the reason, never a token it quotes', async () => {
    // Prepare: a 400 whose message quotes an OAuth access token and a signed URL.
    const api = await loopback((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            message:
              'Project id is malformed (sent with ya29.canary-token-41e7 from https://x.test/p?sig=canary-query-41e7)',
          },
        }),
      );
    });
    try {
      // Act
      const reading = await readProjectNumber(
        new ResourceManagerRestClient({ endpoint: api.endpoint }),
        'certctl-prod',
      );

      // Assess: before, the reason named the status and code only.
      expect(reading).toMatchObject({
        state: 'unknown',
        reason: expect.stringContaining(
          'projects.get of certctl-prod failed: Resource Manager GET projects/certctl-prod answered 400 INVALID_ARGUMENT: Project id is malformed',
        ),
      });
      const { reason } = reading as { reason: string };
      expect(reason).not.toContain('canary-token-41e7');
      expect(reason).not.toContain('canary-query-41e7');
    } finally {
      await api.close();
    }
  });
});
