/**
 * A Lambda's code package as `cdk synth` builds it: the handler bundled by esbuild on this machine
 * with the settings every function shares (infra/bundling.ts: code-split, minified, linked source
 * maps), the policy as a file beside it (the environment holds 4 KB in all) and, for a function
 * that asks for it, the exec wrapper that raises its initial old generation (infra/exec-wrapper.ts).
 *
 * NodejsFunction cannot code-split (it always passes esbuild `--outfile`), so the package is an
 * asset with local bundling: esbuild's synchronous API writes `index.mjs` and `chunks/` into the
 * asset's output directory. The asset hash covers the output, so a policy change deploys new code.
 * There is no Docker fallback: bundling runs on the machine that synthesizes, or synth fails.
 */
import { chmodSync, copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync, type Metafile } from 'esbuild';
import { BUNDLED_POLICY_FILE } from '../functions/core/policy.ts';
import { REPO_ROOT, splitFunctionBuildOptions } from './bundling.ts';
import { EXEC_WRAPPER_FILE, execWrapperScript } from './exec-wrapper.ts';

/** The handler setting of every Lambda: `handler` exported by the bundle's entry. */
export const LAMBDA_HANDLER = 'index.handler';

/**
 * Bundle `entry` into `outdir` as a Lambda is deployed (the benchmark and the tests call this too,
 * so what they measure is what ships).
 */
export function bundleLambda(entry: string, outdir: string): Metafile {
  return buildSync({
    ...splitFunctionBuildOptions(outdir),
    entryPoints: [entry],
    metafile: true,
    logLevel: 'error',
  }).metafile;
}

/**
 * The local bundler of one function. Its fields are part of the asset's cache key (CDK keys
 * staged assets by the JSON of the bundling options), so two functions never share a package.
 */
class LambdaBundler implements ILocalBundling {
  readonly entry: string;
  readonly policyFile: string;
  /** The memory size the exec wrapper's flags are for; no wrapper when undefined. */
  readonly wrapperMemoryMb: number | undefined;

  constructor(entry: string, policyFile: string, wrapperMemoryMb: number | undefined) {
    this.entry = entry;
    this.policyFile = policyFile;
    this.wrapperMemoryMb = wrapperMemoryMb;
  }

  tryBundle(outputDir: string): boolean {
    writeLambdaPackage(this.entry, this.policyFile, this.wrapperMemoryMb, outputDir);
    return true;
  }
}

/**
 * A Lambda's code package in `outdir`: `entry` bundled, `policyFile` beside it and, when
 * `wrapperMemoryMb` is given, the exec wrapper for that memory size (mode 0755: Lambda executes it).
 */
export function writeLambdaPackage(
  entry: string,
  policyFile: string,
  wrapperMemoryMb: number | undefined,
  outdir: string,
): void {
  bundleLambda(entry, outdir);
  copyFileSync(policyFile, join(outdir, BUNDLED_POLICY_FILE));
  if (wrapperMemoryMb !== undefined) {
    const wrapper = join(outdir, EXEC_WRAPPER_FILE);
    writeFileSync(wrapper, execWrapperScript(wrapperMemoryMb));
    chmodSync(wrapper, 0o755); // whatever the umask: the zip keeps the mode, and Lambda executes the file
  }
}

/**
 * The code of a Lambda whose handler is `entry`, with `policyFile` bundled beside it, and the exec
 * wrapper for `wrapperMemoryMb` when given.
 */
export function lambdaCode(entry: string, policyFile: string, wrapperMemoryMb?: number): Code {
  // Checked at synth even when a test skips bundling, as NodejsFunction did.
  if (!existsSync(entry)) throw new Error(`Lambda handler ${entry} does not exist`);
  return Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: new LambdaBundler(entry, policyFile, wrapperMemoryMb),
      // Required by the type, never pulled: the local bundler always bundles (or throws).
      image: DockerImage.fromRegistry('local-bundling-only'),
    },
  });
}
