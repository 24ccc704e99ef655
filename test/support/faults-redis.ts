import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';
import { pollUntil } from './wait-for';

export interface RedisChild {
  port: number;
  url: string;
  /** Stops the server (SIGKILL by default: nothing flushed that is not already on disk). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (and the same data directory when persistent). */
  start(): Promise<void>;
  /**
   * Freezes it (SIGSTOP): connections stay open and nothing is answered, as in a partition that
   * sends no reset; `resume` (SIGCONT) thaws it.
   */
  pause(): void;
  resume(): void;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
  running(): boolean;
}

/**
 * A private redis-server for drills that stop Redis: never the shared one on 6379.
 * `persistent: false` is the test set-up (`--save "" --appendonly no`: a restart loses every
 * key); `persistent: true` is how production should run it for queues: an AOF fsynced on every
 * write (`--appendonly yes --appendfsync always`), so a restart replays every acknowledged job.
 */
export async function startRedis(options: { persistent: boolean }): Promise<RedisChild> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    ...(options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
  ];
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async () => {
    output = '';
    proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const p = proc;
    exited = new Promise((resolve) => p.on('exit', () => resolve()));
    const { met } = await pollUntil(
      async () => {
        if (p.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
        return ping(port);
      },
      Boolean,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    if (!met) throw new Error(`redis-server did not answer:\n${output}`);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      await exited;
    }
    proc = null;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    running: () => proc !== null && proc.exitCode === null,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    async dispose() {
      proc?.kill('SIGCONT');
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
