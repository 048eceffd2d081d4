/**
 * The "did you mean" of every typo this tool answers (a CLI flag, command or check id, an AWS region
 * name in the policy): the closest candidate by edit distance. In core so the policy schema, which
 * the functions bundle, can suggest too.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `audti` is one edit from
 * `audit`, as a typist would count it.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      const row = rows[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `word`, when it is close enough to be a typo (one edit per three
 * letters, at least one) or when `word` is a prefix of exactly one candidate. Letters are compared
 * without their case: `GCP` (caps lock, or the name as it is written in prose) means `gcp`, which
 * counting each capital as an edit would not find.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  const prefixed = candidates.filter((candidate) => candidate.toLowerCase().startsWith(typed));
  if (word.length >= 3 && prefixed.length === 1) return prefixed[0];
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
