import { JwtService } from '@nestjs/jwt';
import { ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { Client } from 'pg';
import { runMigrations } from '../src/bootstrap/prepare-database';

export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const JWT_SECRET = 'bench-secret-bench-secret-bench-secret';

/** The access-token lifetime of the APIs benchmarks start: the longest the API allows. */
export const BENCH_TOKEN_TTL_SECONDS = 3600;

/**
 * Access tokens as the API issues them at login (benchmarks time the work, not the logins). The
 * API refuses a token living longer than its own TTL, so startApi sets the same one.
 */
export type TokenSigner = (sub: string, role: 'agent' | 'finance') => string;
export function tokenSigner(): TokenSigner {
  const jwt = new JwtService({ secret: JWT_SECRET });
  return (sub, role) => jwt.sign({ sub, role, cid: null }, { expiresIn: BENCH_TOKEN_TTL_SECONDS });
}

/**
 * Users with the given ids and role, straight into the database; agents also get their agent
 * row (`agentColumns`: extra columns and one value each, the same for every agent).
 */
export async function seedUsers(
  db: Client,
  ids: string[],
  role: 'agent' | 'finance',
  agentColumns: Record<string, unknown> = {},
): Promise<void> {
  await db.query(
    `INSERT INTO users (id, email, password_hash, role)
     SELECT id, id || '@' || $2 || '.bench', 'x', $2 FROM unnest($1::uuid[]) id`,
    [ids, role],
  );
  if (role !== 'agent') return;
  const names = Object.keys(agentColumns);
  await db.query(
    `INSERT INTO agents (user_id, display_name${names.map((n) => `, ${n}`).join('')})
     SELECT id, 'Agent'${names.map((_, i) => `, $${i + 2}`).join('')} FROM unnest($1::uuid[]) id`,
    [ids, ...Object.values(agentColumns)],
  );
}

export const dbUrl = (name: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);

/** A fresh, migrated database for one benchmark. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  await runMigrations(dbUrl(name), pino({ level: 'warn' }));
  return dbUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The built API as its own process (as in production), so the load generator does not share
 * its CPU time slice. BENCH_API_NODE_ARGS passes flags to that node, e.g. to profile it:
 * `BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` (written when the API stops).
 */
export async function startApi(
  env: Record<string, string>,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const main = join(__dirname, '..', 'src', 'main.js');
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      REDIS_URL,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      AUTH_THROTTLE_LIMIT: '1000000',
      JWT_ACCESS_TTL_SECONDS: String(BENCH_TOKEN_TTL_SECONDS),
      // Benchmarks measure the work, not the limits (a storm of claims from one agent, say).
      RATE_LIMITS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`API exited:\n${out}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 300) throw new Error(`API did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** A keep-alive HTTP client for load: one socket per concurrent caller. */
export function httpClient(base: string, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const u = new URL(base);
  return (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          method,
          path,
          agent,
          headers: body
            ? {
                'Content-Type': 'application/json',
                'Content-Length': Buffer.byteLength(body),
                ...headers,
              }
            : headers,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

export const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export function table(header: string[], rows: (string | number)[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) =>
    '  ' +
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
