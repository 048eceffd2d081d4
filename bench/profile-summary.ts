/**
 * Sums a V8 CPU profile (`.cpuprofile`, as bench/audit-keys-child.ts writes with BENCH_PROFILE) by
 * package and by function, self time only, so shares can be compared between runs on a loaded
 * machine where absolute times are not:
 *
 *   npx node bench/profile-summary.ts <file> [top]
 *
 * Native frames (socket writes, GC, JSON.parse) show under `(native)`; the inspector's own cost
 * under `node:inspector`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArgument] = process.argv.slice(2);
if (!file) throw new Error('usage: npx node bench/profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArgument ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const selfTime = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = [...selfTime.values()].reduce((sum, time) => sum + time, 0);

/** `@smithy/core/submodules/retry`, `node:_http_client`, `functions/aws/json-wire.ts`, `(native)`. */
function placeOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist-[a-z]+\/)?(?:submodules\/([^/]+)\/)?/.exec(
    url,
  );
  if (dependency) return dependency[2] ? `${dependency[1]}/${dependency[2]}` : (dependency[1] ?? url);
  const own = /\/((?:functions|bench|test)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

const byPlace = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const time = selfTime.get(node.id);
  if (!time) continue;
  const place = placeOf(node.callFrame.url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + time);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${place}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
}

function print(title: string, times: Map<string, number>): void {
  process.stdout.write(`${title}\n`);
  for (const [name, time] of [...times].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const ms = (time / 1000).toFixed(0).padStart(6);
    const share = ((100 * time) / total).toFixed(1).padStart(5);
    process.stdout.write(`${ms} ms ${share}%  ${name}\n`);
  }
}

process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`);
print('self time by package', byPlace);
print('self time by function', byFunction);
