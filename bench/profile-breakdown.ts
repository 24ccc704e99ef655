/**
 * Where an API process's CPU went, from a V8 .cpuprofile (BENCH_CPU_PROF=<dir> of
 * bench:intake, or BENCH_API_NODE_ARGS="--cpu-prof …" of any bench): self time summed by what
 * the code belongs to (a package of node_modules, our own modules, Node's internals, GC), as a
 * share of the samples and, with `--requests N`, in ms per request.
 *
 *   node dist/bench/profile-breakdown.js /tmp/prof/api-123.cpuprofile --requests 21200
 */
import { readFileSync } from 'node:fs';
import { table } from './support';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** What a frame belongs to: a package, one of our modules, Node itself, or V8's own work. */
export function ownerOf(url: string, fn: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/dist\/src\/(?:modules\/([^/]+)|([^/]+))/.exec(url);
  if (ours) return `handoff: ${ours[1] ?? ours[2]}`;
  if (url.startsWith('node:') || url === '') {
    if (fn === '(garbage collector)') return '(garbage collector)';
    if (fn === '(idle)' || fn === '(program)') return fn;
    return url === '' ? `(native: ${fn || 'anonymous'})`.slice(0, 40) : 'node internals';
  }
  return 'other';
}

function main() {
  const [path, ...rest] = process.argv.slice(2);
  if (!path) throw new Error('usage: profile-breakdown <file.cpuprofile> [--requests N]');
  const requests = Number(rest[rest.indexOf('--requests') + 1]) || 0;
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  // Native and Node-internal time (socket writes, streams) by the nearest caller that is a
  // package or ours: who asked for it (pg's query, Express's response…).
  const callerOf = (id: number): string => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const f = byId.get(at)!.callFrame;
      const owner = ownerOf(f.url, f.functionName);
      if (owner !== 'node internals' && !owner.startsWith('(')) return owner;
    }
    return '(no caller)';
  };
  const byCaller = new Map<string, number>();
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    if (owner === '(idle)') return;
    totals.set(owner, (totals.get(owner) ?? 0) + us);
    all += us;
    if (owner === 'node internals' || owner.startsWith('(native')) {
      const caller = callerOf(id);
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
    }
  });
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 25);
  table(
    ['owner', 'CPU ms', 'share', ...(requests ? ['ms/req'] : [])],
    rows.map(([owner, us]) => [
      owner,
      (us / 1000).toFixed(0),
      `${((us / all) * 100).toFixed(1)} %`,
      ...(requests ? [(us / 1000 / requests).toFixed(3)] : []),
    ]),
  );
  console.log('\nnative and Node-internal time, by the package that called it\n');
  table(
    ['caller', 'CPU ms', 'share of all', ...(requests ? ['ms/req'] : [])],
    [...byCaller]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([caller, us]) => [
        caller,
        (us / 1000).toFixed(0),
        `${((us / all) * 100).toFixed(1)} %`,
        ...(requests ? [(us / 1000 / requests).toFixed(3)] : []),
      ]),
  );
  console.log(
    `\nbusy ${(all / 1000).toFixed(0)} ms${requests ? `, ${(all / 1000 / requests).toFixed(3)} ms/req` : ''}`,
  );
}

if (require.main === module) main();
