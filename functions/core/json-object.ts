/**
 * The JSON object a text is, or undefined when it is not one (not JSON, or JSON of another kind: an
 * array, a string, null). The parser's message, which quotes the input, is dropped: the text may
 * be a secret (core/key-material.ts) or an object read back from a bucket.
 */
export function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}
