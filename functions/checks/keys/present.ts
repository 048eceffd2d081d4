/** `keys.present`: every inventory item has its backing secret. */
import type { Check } from '../../core/check.ts';
import type { KeySecretFact } from '../../core/key-facts.ts';
import { DOCS, itemsValue, KEYS_RESOURCE_TYPES, notAvailable, secretLabel } from './wording.ts';

export const keysPresentCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.present',
    group: 'keys',
    title: 'Every key-material item has its backup secret',
    failedTitle: 'A key-material item has no backup secret',
    severity: 'CRITICAL',
    rationale:
      "certctl's CA and RA keys, OCSP responder keys, trust bundles, TLS pair, API keys and config-encryption key live outside its database: without their backup a restored database cannot issue, answer OCSP or even decrypt its own issuer settings.",
    remediation: {
      text: 'Store the item in the secret the policy names (`aws secretsmanager create-secret`), or correct the inventory in the policy (`keys.items`).',
      texts: {
        gcp: 'Store the item in the secret the policy names (`gcloud secrets create`, then `gcloud secrets versions add`), or correct the inventory in the policy (`keys.items`).',
      },
      url: DOCS.smCreate,
      urls: { gcp: DOCS.gsmCreate },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact) {
    const required = { present: true };
    if (fact.existence.state === 'unknown')
      return notAvailable(fact, fact.existence.reason, { present: null }, required);
    const sources = fact.items.map((item) => item.source).join(', ');
    if (!fact.existence.value) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} does not exist: ${sources} has no backup.`,
        observed: { items: itemsValue(fact), present: false },
        required,
      };
    }
    return {
      status: 'PASSED',
      description: `The ${secretLabel(fact)} exists and backs ${sources}.`,
      observed: { items: itemsValue(fact), present: true },
      required,
    };
  },
};
