import { ChildProcess, spawn } from 'node:child_process';
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
  return runCommand(process.execPath, [join(DIST, entry), ...args], env, { cwd });
}

/**
 * Runs a command with exactly the given environment (and PATH and HOME); `detached`: in a
 * process group of its own, as a terminal's job is (signal it all with `kill(-pid)`).
 */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; detached?: boolean } = {},
): Spawned {
  const proc = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    cwd: options.cwd,
    detached: options.detached,
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

/**
 * Waits for a started API to say it is listening and returns the port it bound. Start it with
 * PORT=0: a port picked free beforehand can be taken by another process before the API binds it.
 */
export async function apiPort(app: Spawned, timeoutMs?: number): Promise<number> {
  const listening = /Handoff API listening on :(\d+)/;
  await app.waitForOutput(listening, timeoutMs);
  return Number(listening.exec(app.output())![1]);
}

export { freePort } from '../../bench/free-port';

/** Kills a process (and its group, if it leads one) still running when a test fails. */
export function ensureKilled(...spawned: (Spawned | undefined)[]): void {
  for (const s of spawned) {
    if (!s || s.proc.exitCode !== null) continue;
    try {
      process.kill(-s.proc.pid!, 'SIGKILL');
    } catch {
      s.proc.kill('SIGKILL'); // not a group leader
    }
  }
}
