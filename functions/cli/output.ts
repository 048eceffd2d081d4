/**
 * Where reports go. Every target is checked before the audit runs, so a typo in a path costs a
 * second, not a whole audit; and a write that still fails afterwards prints the report to stdout
 * rather than losing it.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../core/errors.ts';

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** Throws unless `file` can be written: its directory exists and is writable, and it is not a directory. */
export async function checkOutputFile(file: string, flag = '--output'): Promise<void> {
  const target = await statOrUndefined(file);
  if (target?.isDirectory()) {
    // Only audit, whose flag this is, has --output-dir to suggest.
    const hint = flag === '--output' ? ` (or use --output-dir ${file})` : '';
    throw new InputError(`${flag} ${file} is a directory; name a file${hint}`);
  }
  const directory = dirname(resolve(file));
  const parent = await statOrUndefined(directory);
  if (!parent) throw new InputError(`${flag} ${file}: the directory ${directory} does not exist`);
  if (!parent.isDirectory()) throw new InputError(`${flag} ${file}: ${directory} is not a directory`);
  try {
    await access(target ? file : directory, constants.W_OK);
  } catch {
    throw new InputError(
      `${flag} ${file}: ${target ? 'the file' : `the directory ${directory}`} is not writable`,
    );
  }
}

/**
 * Checks `--output-dir` before any work, creating nothing: an existing one must be a writable
 * directory; a missing one is made later ({@link prepareOutputDir}) under its nearest existing
 * ancestor, which must be a writable directory.
 */
export async function checkOutputDir(directory: string): Promise<void> {
  const existing = await statOrUndefined(directory);
  if (existing && !existing.isDirectory()) {
    throw new InputError(`--output-dir ${directory} is a file, not a directory`);
  }
  let ancestor = resolve(directory);
  let found = existing;
  while (!found) {
    const parent = dirname(ancestor);
    if (parent === ancestor) break;
    ancestor = parent;
    found = await statOrUndefined(ancestor);
  }
  if (found && !found.isDirectory()) {
    throw new InputError(`--output-dir ${directory} cannot be made: ${ancestor} is a file, not a directory`);
  }
  try {
    await access(ancestor, constants.W_OK);
  } catch {
    throw new InputError(
      `--output-dir ${directory} cannot be written: ${existing ? 'it is' : `its nearest existing directory ${ancestor} is`} not writable`,
    );
  }
}

/**
 * Creates `directory` when missing, one level at a time from its nearest existing ancestor; throws
 * when it is a file or cannot be made or written. Not `mkdir(…, { recursive: true })`: on a file
 * system that answers mkdir with ENOENT under a directory that exists (/proc), Node's recursive
 * mkdir makes the parent again and retries the child forever, so `--output-dir /proc/x` hung.
 */
export async function prepareOutputDir(directory: string): Promise<void> {
  // Checked again: the place may have changed since the check before the run.
  await checkOutputDir(directory);
  const missing: string[] = [];
  let level = resolve(directory);
  while (!(await statOrUndefined(level))) {
    missing.unshift(level);
    const parent = dirname(level);
    if (parent === level) break;
    level = parent;
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Made meanwhile by someone else (another run writing there): fine if it is a directory.
      if (code === 'EEXIST' && (await statOrUndefined(path))?.isDirectory()) continue;
      const parent = dirname(path);
      const why =
        code === 'ENOENT' && (await statOrUndefined(parent))?.isDirectory()
          ? `mkdir ${path} failed with ENOENT although ${parent} exists (its file system takes no new directory there); choose another directory`
          : `mkdir ${path} failed: ${(error as Error).message}`;
      throw new InputError(`--output-dir ${directory} cannot be made: ${why}`, { cause: error });
    }
  }
  try {
    await access(directory, constants.W_OK);
  } catch (error) {
    throw new InputError(`--output-dir ${directory} cannot be written: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The file a format is written to under `--output-dir`. */
export function reportPath(directory: string, extension: string): string {
  return join(directory, `backup-guard-audit.${extension}`);
}

/** Write a report; on failure say why and return false, so the caller can print it instead. */
export async function writeReport(
  file: string,
  text: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await writeFile(file, text);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
