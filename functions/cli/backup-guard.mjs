#!/usr/bin/env node
// The `backup-guard` executable (package.json "bin", run by `npx backup-guard`). Plain JavaScript
// on purpose: it loads on any Node, says why an old one cannot run the TypeScript CLI instead of
// failing with a stack trace, and otherwise loads the CLI in this same process.
import { requirePinnedNode } from './pinned-node.mjs';

requirePinnedNode('backup-guard');
await import('./main.ts');
