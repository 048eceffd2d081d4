import { build } from 'esbuild';
import { functionBuildOptions } from './infra/bundling.ts';

for (const entry of process.argv.slice(2)) {
  const ext = entry.includes('/gcp/') ? ['@google-cloud/functions-framework'] : [];
  const r = await build({
    ...functionBuildOptions(ext),
    entryPoints: [entry],
    write: false,
    metafile: true,
    outfile: '/tmp/x.mjs',
    logLevel: 'error',
  });
  const out = r.outputFiles.find((f) => f.path.endsWith('.mjs'))!;
  const inputs = Object.entries(
    r.metafile.outputs[Object.keys(r.metafile.outputs).find((k) => k.endsWith('.mjs'))!].inputs,
  );
  const byPkg: Record<string, number> = {};
  for (const [p, v] of inputs) {
    const m = p.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
    const k = m ? m[1] : 'own';
    byPkg[k] = (byPkg[k] ?? 0) + v.bytesInOutput;
  }
  const top = Object.entries(byPkg)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 9)
    .map(([k, v]) => `${k}=${(v / 1024).toFixed(0)}K`)
    .join(' ');
  console.log(entry, (out.contents.length / 1024).toFixed(0) + ' KiB', top);
}
