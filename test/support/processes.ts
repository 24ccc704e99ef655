import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pollUntil } from './wait-for';

export const DIST = join(__dirname, '..', '..', 'dist', 'src');

export interface Spawned {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Runs a built entry point (main.js, worker.js, cli.js) with exactly the given environment. */
export function runBuilt(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
  cwd?: string,
): Spawned {
  const proc = spawn(process.execPath, [join(DIST, entry), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    exited,
    async waitForOutput(pattern, timeoutMs = 30_000) {
      const { met, waitedMs } = await pollUntil(
        async () => {
          if (pattern.test(out)) return true;
          if (proc.exitCode !== null)
            throw new Error(`exited (${proc.exitCode}) before ${pattern}:\n${out}`);
          return false;
        },
        Boolean,
        { timeoutMs, intervalMs: 50 },
      );
      if (!met) throw new Error(`timed out after ${waitedMs} ms waiting for ${pattern}:\n${out}`);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Kills a process still running when a test fails, so Jest never hangs on it. */
export function ensureKilled(...spawned: (Spawned | undefined)[]): void {
  for (const s of spawned) if (s && s.proc.exitCode === null) s.proc.kill('SIGKILL');
}
