/**
 * Where an API process's allocations came from, from a V8 .heapprofile (BENCH_HEAP_PROF=<dir>
 * of bench:intake): bytes allocated, garbage included, summed by what the allocating code
 * belongs to (a package, our own modules, Node's internals) and by function, in KB per request
 * with `--requests N`. The profile samples one allocation every 16 KB, so small figures are
 * estimates; start-up's allocations are in it too (a few MB, little against a run's GBs).
 *
 *   node dist/bench/heap-breakdown.js /tmp/prof/api-123.heapprofile --requests 10700
 */
import { readFileSync } from 'node:fs';
import { ownerOf } from './profile-breakdown';
import { table } from './support';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

function main() {
  const [path, ...rest] = process.argv.slice(2);
  if (!path) throw new Error('usage: heap-breakdown <file.heapprofile> [--requests N]');
  const requests = Number(rest[rest.indexOf('--requests') + 1]) || 0;
  const { head } = JSON.parse(readFileSync(path, 'utf8')) as { head: HeapNode };
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  const add = (map: Map<string, number>, key: string, bytes: number) =>
    map.set(key, (map.get(key) ?? 0) + bytes);
  const stack = [head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { functionName, url, lineNumber } = node.callFrame;
    all += node.selfSize;
    add(byOwner, ownerOf(url, functionName), node.selfSize);
    const where = url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '');
    add(byFunction, `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`, node.selfSize);
    stack.push(...node.children);
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, bytes]) => [
        key,
        (bytes / 1048576).toFixed(0),
        `${((bytes / all) * 100).toFixed(1)} %`,
        ...(requests ? [(bytes / 1024 / requests).toFixed(1)] : []),
      ]);
  const perRequest = requests ? ['KB/req'] : [];
  table(['owner', 'MB', 'share', ...perRequest], rows(byOwner, 20));
  console.log('\nby function\n');
  table(['function', 'MB', 'share', ...perRequest], rows(byFunction, 20));
  console.log(
    `\nallocated ${(all / 1048576).toFixed(0)} MB${requests ? `, ${(all / 1024 / requests).toFixed(0)} KB/req` : ''}`,
  );
}

main();
