import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOTS = ['functions', 'infra', 'test', 'bench'];

/** Every TypeScript source under the roots the repository keeps (not dependencies, not build output). */
function sources(): string[] {
  return ROOTS.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((path) => /\.(?:ts|mts|mjs)$/.test(path) && !path.includes('node_modules'))
      .map((path) => join(root, path)),
  );
}

/**
 * Doc comments followed directly by another doc comment: the first documents nothing (an editor
 * reads the second one), so it is a leftover or sits above the wrong declaration. A file's opening
 * comment is its header and is exempt.
 */
function strayDocComments(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const stray: string[] = [];
  for (const match of text.matchAll(/\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*(?=\/\*\*)/g)) {
    if (match.index === 0) continue;
    stray.push(`${path}:${text.slice(0, match.index).split('\n').length}`);
  }
  return stray;
}

describe('doc comments', () => {
  it('finds no doc comment that documents nothing because another follows it', () => {
    // Prepare
    const files = sources();

    // Act
    const stray = files.flatMap(strayDocComments);

    // Assess
    expect(files.length).toBeGreaterThan(100);
    expect(stray).toEqual([]);
  });
});
