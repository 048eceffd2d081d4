/**
 * `keys.content` (only when `inspectSecretValues` is on): the backup really is the key material
 * certctl runs with. PEM parses, certificates are valid now (past notBefore, not expired) nor
 * expiring within the horizon, the CA certificate is a CA (CA:TRUE, keyCertSign), the CA files
 * start with their certificate and key (certctl reads their first PEM block), each private key
 * matches its certificate, RA certificates are signed by the CA (directly, or through intermediate CA
 * certificates from the RA file's later blocks or the trust bundles, each CA:TRUE with keyCertSign and
 * valid now; functions/core/key-material.ts chainToIssuer), bundle certificates parse, and the
 * backed-up CA is the one certctl serves now. A key, certificate or bundle item mapped without
 * `jsonKey` to a secret that is a JSON object fails (`json-without-key`), saying to set it. A trust bundle fails only when none of its anchors is
 * valid now; a member expired or not yet valid beside a valid one is a WARNING naming it (subject
 * and fingerprint). The analysis is done in memory by the collector
 * (functions/core/key-material.ts); the fact carries codes, dates and fingerprints only. A pairing
 * is claimed only when it was compared: a key whose certificate item is switched off in the
 * inventory is NOT_AVAILABLE (`partner-off`), and an RA certificate whose CA certificate is off
 * passes on what was checked, its description saying the chain was not. The finding's `required`
 * names only the pairings the secret's items have (a lone OCSP responder key requires no match).
 */
import type { Check } from '../../core/check.ts';
import type { ContentProblem, KeySecretFact } from '../../core/key-facts.ts';
import {
  absentOutcome,
  DOCS,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  notAvailable,
  secretLabel,
} from './wording.ts';

/**
 * What this secret's items must prove: every item parses; certificates (and bundles) are not
 * expired; a private key matches its certificate only when the inventory pairs it with one (a lone
 * OCSP responder key has none); a certificate chains to its CA only when that CA item is on.
 */
function requiredOf(fact: KeySecretFact): Record<string, boolean> {
  const { items } = fact;
  // Opaque values are only checked to be non-empty: nothing is parsed, so no parsing is required.
  if (allOpaque(fact)) return { notEmpty: true };
  return {
    parses: true,
    ...(items.some((item) => item.kind === 'certificate' || item.kind === 'bundle')
      ? { notExpired: true }
      : {}),
    ...(items.some((item) => item.kind === 'private-key' && item.certificate)
      ? { keyMatchesCertificate: true }
      : {}),
    ...(items.some((item) => item.kind === 'certificate' && item.issuer) ? { signedByCa: true } : {}),
  };
}

/** Whether every item of the secret is opaque (API keys, the config encryption key). */
function allOpaque(fact: KeySecretFact): boolean {
  return fact.items.length > 0 && fact.items.every((item) => item.kind === 'opaque');
}

/**
 * Which problem decides the status: a proven failure, then a part that could not be evaluated (the
 * finding must not read as complete while a comparison it could not make hides behind a warning),
 * then a warning.
 */
const RANK: Readonly<Record<ContentProblem['status'], number>> = { FAILED: 3, NOT_AVAILABLE: 2, WARNING: 1 };
/** How the problems below the deciding status are named after it. */
const AFTER: Readonly<Record<ContentProblem['status'], string>> = {
  FAILED: '',
  NOT_AVAILABLE: 'Could not check',
  WARNING: 'Also',
};

export const keysContentCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.content',
    group: 'keys',
    title: 'Key-material backups hold the key pairs certctl runs with',
    failedTitle: 'A key-material backup does not hold a usable key pair certctl runs with',
    severity: 'CRITICAL',
    rationale:
      'A backup that exists but holds an expired certificate, a key that does not match its certificate, or a CA other than the one certctl serves restores nothing usable. Only read when the policy allows reading secret values.',
    remediation: {
      text: 'Replace the secret value with the files certctl runs with now (the paths in its CERTCTL_*_PATH settings), then run the audit again.',
      url: DOCS.smUpdate,
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  enabledBy: (policy) => policy.keys?.inspectSecretValues === true,
  enabledBySetting: 'keys.inspectSecretValues',
  unverifiedWhenOff: "the backed-up key material's content",
  evaluate(fact) {
    const required = requiredOf(fact);
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    const content = fact.content;
    if (content.state === 'not-inspected') return notAvailable(fact, 'its value was not read', {}, required);
    if (content.state === 'unknown') return notAvailable(fact, content.reason, {}, required, content.remedy);
    const problems = content.items.flatMap((item) => item.problems);
    const observed = Object.assign(
      { items: itemsValue(fact) },
      ...content.items.map((item) => item.observed),
    );
    const worst = problems.reduce<ContentProblem | undefined>(
      (current, problem) => (!current || RANK[problem.status] > RANK[current.status] ? problem : current),
      undefined,
    );
    if (!worst) {
      // Only the pairings that were compared are claimed; those skipped are named.
      const proven = content.items.flatMap((item) => item.proven ?? []);
      const unchecked = content.items.flatMap((item) => item.unchecked ?? []);
      const said = [...proven, ...(unchecked.length > 0 ? [`not checked: ${unchecked.join('; ')}`] : [])];
      return {
        status: 'PASSED',
        description: allOpaque(fact)
          ? `The ${secretLabel(fact)} holds a non-empty value; its content is opaque, so nothing more is checked.`
          : `The ${secretLabel(fact)} holds parseable${required.notExpired ? ', unexpired' : ''} key material${said.map((part) => `; ${part}`).join('')}.`,
        observed,
        required,
      };
    }
    const details = (status: ContentProblem['status']) =>
      problems.filter((problem) => problem.status === status).map((problem) => problem.detail);
    const after = (['NOT_AVAILABLE', 'WARNING'] as const)
      .filter((status) => RANK[status] < RANK[worst.status] && details(status).length > 0)
      .map((status) => ` ${AFTER[status]}: ${details(status).join('; ')}.`)
      .join('');
    return {
      status: worst.status,
      description: `The ${secretLabel(fact)}: ${details(worst.status).join('; ')}.${after}`,
      observed: { ...observed, problems: problems.map((problem) => problem.code).join(',') },
      required,
    };
  },
};
