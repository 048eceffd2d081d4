/** `1 day`, `3 days`, `2 policies` (with `many`): a count and its noun, as every finding and report says it. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
