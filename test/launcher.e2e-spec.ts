import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/launch.js (`npm run cli`, `npm start`, `npm run migration:*`) in a scratch project
 * whose `nest build` is a stand-in that counts its runs: the real launcher, never the real
 * dist/. Each build writes dist/src/cli.js, which prints its arguments and the sources it
 * was built from.
 */
const FAKE_NEST = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const root = process.cwd();
fs.appendFileSync(path.join(root, 'builds.log'), process.argv.slice(2).join(' ') + '\\n');
const delay = Number(process.env.FAKE_BUILD_MS || 0);
if (delay) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
const main = fs.readFileSync(path.join(root, 'src', 'cli.ts'), 'utf8');
if (main.includes('syntax error')) {
  process.stderr.write('src/cli.ts(1,1): error TS1005\\n');
  process.exit(1);
}
fs.mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'dist', 'src', 'cli.js'),
  'process.stdout.write("ran " + JSON.stringify(process.argv.slice(2)) + " built from " + ' +
    JSON.stringify(JSON.stringify(main)) +
    ' + "\\\\n"); process.exitCode = Number(process.env.EXIT_WITH || 0);',
);
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('scripts/launch.js: build only when the sources changed', () => {
  let root: string;
  const builds = () => {
    const log = join(root, 'builds.log');
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  };
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };

  function launch(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [join(root, 'scripts', 'launch.js'), ...args], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      proc.on('error', reject);
      proc.on('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
    });
  }
  const cli = (...args: string[]) => launch(['dist/src/cli.js', ...args]);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'handoff-launch-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync(join(__dirname, '..', 'scripts', 'launch.js'), join(root, 'scripts', 'launch.js'));
    write('node_modules/.bin/nest', FAKE_NEST);
    chmodSync(join(root, 'node_modules', '.bin', 'nest'), 0o755);
    write('src/cli.ts', 'one');
    write('src/modules/a.ts', 'a');
    write('migrations/1-init.ts', 'init');
    write('tsconfig.json', '{}');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds on the first call, then runs the built file without building again', async () => {
    const first = await cli('users:create', '--role', 'finance', '--email', 'ops@example.com');
    expect(first).toMatchObject({ status: 0 });
    expect(first.stdout).toBe(
      'ran ["users:create","--role","finance","--email","ops@example.com"] built from "one"\n',
    );
    expect(first.stderr).toContain('building first');
    expect(builds()).toEqual(['build']);

    const second = await cli('users:create', '--role', 'admin', '--email', 'a@example.com');
    expect(second.stdout).toBe(
      'ran ["users:create","--role","admin","--email","a@example.com"] built from "one"\n',
    );
    expect(second.stderr).toBe('');
    expect(builds()).toEqual(['build']); // the marker: no second build
    expect(second.ms).toBeLessThan(10_000); // a start, not a build (loaded CI machines included)
  });

  it("passes the entry point's exit code through", async () => {
    await cli();
    expect((await launch(['dist/src/cli.js'], { EXIT_WITH: '3' })).status).toBe(3);
  });

  it('rebuilds after an edit, even one that keeps the old modification time', async () => {
    await cli();
    const file = join(root, 'src', 'cli.ts');
    const { atime, mtime } = statSync(file);
    writeFileSync(file, 'two');
    utimesSync(file, atime, mtime); // e.g. restored from an archive, or a fast re-save
    expect((await cli()).stdout).toContain('built from "two"');
    expect(builds()).toHaveLength(2);
    await cli();
    expect(builds()).toHaveLength(2);
  });

  it('rebuilds when a file is added or deleted anywhere the build reads', async () => {
    await cli();
    write('migrations/2-more.ts', 'more');
    await cli();
    expect(builds()).toHaveLength(2);
    rmSync(join(root, 'src', 'modules', 'a.ts'));
    await cli();
    expect(builds()).toHaveLength(3);
    write('tsconfig.json', '{"compilerOptions":{}}');
    await cli();
    expect(builds()).toHaveLength(4);
  });

  it('rebuilds when dist/ was removed', async () => {
    await cli();
    rmSync(join(root, 'dist'), { recursive: true });
    expect((await cli()).stdout).toContain('ran []');
    expect(builds()).toHaveLength(2);
  });

  it('stops on a failed build without running stale output, and retries next time', async () => {
    await cli();
    write('src/cli.ts', 'syntax error');
    const failed = await cli('jobs:ping');
    expect(failed.status).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toContain('error TS1005');
    await cli('jobs:ping');
    expect(builds()).toHaveLength(3); // no stamp was left by the failure
    write('src/cli.ts', 'fixed');
    expect((await cli()).stdout).toContain('built from "fixed"');
  });

  it('builds once when several processes start together (API and worker after a pull)', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(() => launch(['dist/src/cli.js'], { FAKE_BUILD_MS: '700' })),
    );
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(runs.every((r) => r.stdout.startsWith('ran []'))).toBe(true);
    expect(builds()).toEqual(['build']);
    expect(existsSync(join(root, 'dist', '.build-lock'))).toBe(false);
  });

  it('is not blocked by the lock of a build that was killed', async () => {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', '.build-lock'), '999999999');
    const run = await cli();
    expect(run.status).toBe(0);
    expect(builds()).toEqual(['build']);
  });

  it('`build` always builds (passing its options on) and leaves output the next run trusts', async () => {
    await launch(['build']);
    await launch(['build', '--watch=false']);
    expect(builds()).toEqual(['build', 'build --watch=false']);
    await cli();
    expect(builds()).toHaveLength(2);
  });

  it('`built` builds only when the sources changed (`npm test` starts with it)', async () => {
    expect((await launch(['built'])).status).toBe(0);
    expect(builds()).toEqual(['build']);
    const again = await launch(['built']);
    expect(again).toMatchObject({ status: 0, stderr: '' });
    expect(builds()).toHaveLength(1); // a current build is left as it is
    write('src/cli.ts', 'two');
    await launch(['built']);
    expect(builds()).toHaveLength(2);
    expect((await cli()).stdout).toContain('built from "two"');
    expect(builds()).toHaveLength(2);
  });
});
