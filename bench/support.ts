import { JwtService } from '@nestjs/jwt';
import { ChildProcess, spawn } from 'node:child_process';
import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { Client } from 'pg';
import { runMigrations } from '../src/bootstrap/prepare-database';
import { freePort } from './free-port';
import { createHandoffClient, type HandoffClient } from '../src/client/client';

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

export { freePort } from './free-port';

/**
 * The built API as its own process (as in production), so the load generator does not share
 * its CPU time slice. BENCH_API_NODE_ARGS passes flags to that node, e.g. to profile it:
 * `BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` (written when the API stops).
 */
export async function startApi(
  env: Record<string, string>,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const main = join(__dirname, '..', 'src', 'main.js');
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      // Links the API hands out (Stripe's return page) lead back to this instance.
      PUBLIC_URL: url,
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
  const probe = createHandoffClient({ baseUrl: url });
  const stop = () => stopProcess(proc);
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`API exited:\n${out}`);
    }
    try {
      if ((await probe.GET('/health')).response.ok) break;
    } catch {
      // not up yet
    }
    if (i > 300) {
      await stop(); // not left running behind a failed benchmark
      throw new Error(`API did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}

/** How long an API has to drain and exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 15_000;

/**
 * Stops a child: at once if it has exited already (its exit event is past, and waiting for it
 * would hang a benchmark whose API crashed), SIGKILL after the grace period otherwise.
 */
export function stopProcess(proc: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * The typed client (src/client) for load: requests go out on a keep-alive agent with one
 * socket per concurrent caller (fetch's own pool opens sockets as it likes, and a race must find
 * its sockets open). Per-request credentials: `api.POST(path, { headers: bearer(token) })`.
 *
 * The load generator shares the machine's CPU with the API, so the client's own cost matters:
 * measured per small JSON request here, the raw node:http client took ~75 µs, the typed client
 * over fetch ~450 µs, over this agent with real Request/Response objects ~210 µs, and with the
 * plain ones below ~120 µs. openapi-fetch reads only url, method, headers and body of a request
 * and status, ok, headers.get(), text() and json() of a response.
 */
export function apiClient(base: string, sockets: number): HandoffClient {
  return createHandoffClient({
    baseUrl: base,
    Request: PlainRequest as unknown as typeof Request,
    fetch: keepAliveFetch(base, sockets),
  });
}

/** What openapi-fetch builds for each call (its `Request` option): no stream, no copies. */
class PlainRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;

  constructor(
    readonly url: string,
    init: { method?: string; headers: Headers; body?: string },
  ) {
    this.method = init.method ?? 'GET';
    this.headers = init.headers;
    this.body = init.body;
  }
}

/** Just what openapi-fetch and the benchmarks read of an answer. */
class PlainResponse {
  readonly ok: boolean;
  readonly url = '';
  readonly headers: { get(name: string): string | null; has(name: string): boolean };

  constructor(
    readonly status: number,
    raw: IncomingHttpHeaders,
    private readonly bytes: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    const value = (name: string) => raw[name.toLowerCase()];
    this.headers = {
      get: (name) => [value(name) ?? []].flat().join(', ') || null,
      has: (name) => value(name) !== undefined,
    };
  }

  async text(): Promise<string> {
    return this.bytes.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.bytes.toString('utf8'));
  }
}

/** Longer than any answer of a healthy API under the heaviest benchmark (its storm's p99 ~1 s). */
const REQUEST_TIMEOUT_MS = 60_000;

/** fetch for the typed client over node:http with a keep-alive agent (bodies are small). */
function keepAliveFetch(base: string, sockets: number): (input: Request) => Promise<Response> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(base);
  const prefix = base.replace(/\/+$/, '');
  return (input) => {
    const { method, body } = input as unknown as PlainRequest;
    const headers: Record<string, string> = Object.fromEntries(input.headers);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const req = request(
        { host: hostname, port, method, path: input.url.slice(prefix.length), agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const answer = new PlainResponse(
              res.statusCode ?? 0,
              res.headers,
              Buffer.concat(chunks),
            );
            resolve(answer as unknown as Response);
          });
        },
      );
      req.on('error', reject);
      // A request the API never answers fails the benchmark instead of hanging it.
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`${method} ${input.url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.end(body);
    });
  };
}

/** An answer for tallies: "201", "409 SHIFT_FULL", or the start of a body without a code. */
export function answerLabel(status: number, error: unknown): string {
  if (status < 400) return String(status);
  const code = (error as { error?: { code?: unknown } } | undefined)?.error?.code;
  return `${status} ${typeof code === 'string' ? code : JSON.stringify(error ?? '').slice(0, 80)}`;
}

/** The p-th percentile, nearest rank: the smallest value with at least p % of them at or below. */
export const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
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

/** A benchmark's size: the variable if set, else its small size under BENCH_SMALL=1, else full. */
export function benchSize(name: string, full: number, small: number): number {
  return Number(process.env[name] ?? (process.env.BENCH_SMALL === '1' ? small : full));
}

/** Seeded uniform [0, 1) (mulberry32): two runs draw the same arrivals and times. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
