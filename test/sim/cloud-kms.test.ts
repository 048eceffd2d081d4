/** The simulated Cloud KMS: its scenario section, and the resources it answers. */
import { describe, expect, it } from 'vitest';
import type { SimRequest } from './service.ts';
import { CloudKmsService } from './services/cloud-kms.ts';

const KEY = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
const context = { now: () => new Date('2026-12-01T00:00:00Z') };

function get(path: string): SimRequest {
  return {
    method: 'GET',
    path,
    query: new URLSearchParams(),
    headers: {},
    body: Buffer.alloc(0),
    signingRegion: undefined,
    signingService: undefined,
    accessKeyId: undefined,
    callerAccount: undefined,
  };
}

describe('simulated Cloud KMS', () => {
  it('refuses a key name that is not projects/*/locations/*/keyRings/*/cryptoKeys/*, and a primary that names no version', () => {
    expect(() => new CloudKmsService({ keys: [{ name: 'projects/p/keys/k' }] })).toThrow(
      /Cloud KMS key name/,
    );
    expect(() => new CloudKmsService({ keys: [{ name: KEY, primary: 2 }] })).toThrow(
      /primary 2 names no version/,
    );
  });

  it('serves a key with its primary version and a version with its state and destroyTime', () => {
    // Prepare
    const kms = new CloudKmsService({
      keys: [{ name: KEY, primary: 2, versions: [{ state: 'DESTROY_SCHEDULED', destroyTime: '+5d' }, {}] }],
    });
    // Act
    const key = JSON.parse(String(kms.handle(get(`/v1/${KEY}`), context).body));
    const version = JSON.parse(String(kms.handle(get(`/v1/${KEY}/cryptoKeyVersions/1`), context).body));
    // Assess
    expect(key).toMatchObject({
      name: KEY,
      purpose: 'ENCRYPT_DECRYPT',
      primary: { name: `${KEY}/cryptoKeyVersions/2`, state: 'ENABLED' },
    });
    expect(version).toMatchObject({ state: 'DESTROY_SCHEDULED', destroyTime: '2026-12-06T00:00:00.000Z' });
    expect(kms.versionState(`${KEY}/cryptoKeyVersions/1`)).toBe('DESTROY_SCHEDULED');
    expect(kms.operation(get(`/v1/${KEY}/cryptoKeyVersions/1`))).toBe('cryptoKeyVersions.get');
  });

  it('answers 404 for an unknown key or version, 403 for a denied key, and no primary for a signing key', () => {
    // Prepare
    const kms = new CloudKmsService({
      keys: [
        { name: `${KEY}-locked`, denied: true },
        { name: `${KEY}-sign`, purpose: 'ASYMMETRIC_SIGN' },
        { name: KEY },
      ],
    });
    // Act / Assess
    expect(kms.handle(get(`/v1/${KEY}-gone`), context).status).toBe(404);
    expect(kms.handle(get(`/v1/${KEY}/cryptoKeyVersions/9`), context).status).toBe(404);
    const denied = kms.handle(get(`/v1/${KEY}-locked/cryptoKeyVersions/1`), context);
    expect(denied.status).toBe(403);
    expect(JSON.parse(String(denied.body)).error.status).toBe('PERMISSION_DENIED');
    expect(JSON.parse(String(kms.handle(get(`/v1/${KEY}-sign`), context).body)).primary).toBeUndefined();
  });
});
