import * as argon2 from 'argon2';
import { Queue } from 'bullmq';
import { request } from 'node:http';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MIGRATION_LOCK_KEY } from '../src/bootstrap/prepare-database';
import { isListening } from '../src/bootstrap/probe';
import { redisOptionsFromUrl } from '../src/modules/jobs/redis-options';
import { outboxJobId } from '../src/modules/outbox/outbox.service';
import { PASSWORD, uniqueEmail } from './support/factories';
import { SseClient } from './support/sse-client';
import {
  apiPort,
  DIST,
  ensureKilled,
  freePort,
  runBuilt,
  runCommand,
  Spawned,
} from './support/processes';
import { adminClient, databaseUrl, TEST_REDIS_URL } from './support/services';
import { createTestDatabase, dropTestDatabase, RUN_ENV } from './support/test-database';
import { waitFor, waitUntil } from './support/wait-for';

/** A POST whose `written` resolves once the whole request is on the wire. */
function postJson(port: number, path: string, body: unknown) {
  const payload = JSON.stringify(body);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
  });
  const written = new Promise<void>((resolve) => req.on('finish', resolve));
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  req.end(payload);
  return { written, response };
}

// These run the compiled entry points (`npm test` builds first), as `npm start` would.
describe('processes', () => {
  const spawned: Spawned[] = [];
  const track = (s: Spawned) => (spawned.push(s), s);
  afterEach(() => ensureKilled(...spawned));

  it('starts with no DATABASE_URL and nothing on the port: embedded PostgreSQL, /health 200, clean SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handoff-embedded-'));
    chmodSync(dir, 0o755); // the embedded server runs as the postgres user when we are root
    const pgPort = await freePort();
    try {
      const app = track(
        runBuilt(
          'main.js',
          {
            PORT: '0',
            EMBEDDED_PG_PORT: String(pgPort),
            EMBEDDED_PG_DATA_DIR: join(dir, 'pg'),
            QUEUE_PREFIX: `test-embedded-${pgPort}`,
          },
          [],
          dir,
        ),
      );
      const port = await apiPort(app, 90_000);
      expect(app.output()).toContain('started an embedded PostgreSQL');
      expect(app.output()).toContain('using an in-process FAKE Stripe');
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(200);
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain('shutdown complete');
      expect(await isListening('127.0.0.1', pgPort)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('creates a missing database, migrates it, and drains in-flight requests on SIGTERM', async () => {
    const name = `handoff_test_${process.env[RUN_ENV]}_created`;
    const app = track(
      runBuilt('main.js', {
        PORT: '0',
        DATABASE_URL: databaseUrl(name),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `test-drain-${process.env[RUN_ENV]}`,
        JWT_SECRET: 'x'.repeat(40),
        WORKERS: 'off',
        AUTH_THROTTLE_LIMIT: '1000',
        // Long enough that a loaded CI machine still reads /health/ready inside the drain.
        SHUTDOWN_DRAIN_DELAY_MS: '5000',
      }),
    );
    try {
      const port = await apiPort(app);
      expect(app.output()).toContain('created database');
      expect(app.output()).toContain('ran migrations');
      // Not a terminal: JSON lines, and one line for the routes instead of one per route.
      const lines = app
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; context?: string });
      expect(
        lines.filter((l) => /^mapped \d+ routes in \d+ controllers$/.test(l.msg ?? '')),
      ).toHaveLength(1);
      expect(lines.filter((l) => l.context === 'RouterExplorer')).toEqual([]);
      expect(app.output()).not.toContain('Mapped {');
      // argon2 makes 30 registrations take ~0.5 s. Once every request is fully written and the
      // server has answered the first (so it has read them and is hashing the rest), SIGTERM
      // lands while they are in flight.
      let signalledAt = 0;
      let answered = 0;
      const sent: Promise<void>[] = [];
      const inFlight = Array.from({ length: 30 }, () => {
        const { written, response } = postJson(port, '/v1/auth/register', {
          email: uniqueEmail(),
          password: PASSWORD,
          role: 'agent',
        });
        sent.push(written);
        const outcome = (status: number | string) => {
          answered += 1;
          return { status, afterSignal: signalledAt > 0 };
        };
        return response.then(outcome, (e) => outcome(`${e}`));
      });
      await Promise.all(sent);
      await waitFor(async () => answered > 0, 'the first registration answered', {
        intervalMs: 5,
      });
      app.proc.kill('SIGTERM');
      signalledAt = Date.now();
      await app.waitForOutput(/shutting down gracefully/);
      // During the drain delay readiness already says no, while requests are still served.
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as {
        error: { details: { details: Record<string, { status: string }> } };
      };
      expect(body.error.details.details.lifecycle.status).toBe('down');
      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).toEqual(Array(30).fill(201));
      expect(results.some((r) => r.afterSignal)).toBe(true);
      expect(await app.exited).toBe(0);
    } finally {
      await dropTestDatabase(name);
    }
  });

  it('on SIGTERM refuses new event streams (503, Retry-After) and ends open ones before closing', async () => {
    const name = `handoff_test_${process.env[RUN_ENV]}_streams`;
    const app = track(
      runBuilt('main.js', {
        PORT: '0',
        DATABASE_URL: databaseUrl(name),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `test-streams-${process.env[RUN_ENV]}`,
        JWT_SECRET: 'x'.repeat(40),
        WORKERS: 'off',
        // Long enough that a loaded CI machine still sees the drain (the 503, the stream open).
        SHUTDOWN_DRAIN_DELAY_MS: '5000',
        // Far longer than the test: only closing the streams lets the server close in time.
        SHUTDOWN_TIMEOUT_MS: '60000',
      }),
    );
    try {
      const base = `http://127.0.0.1:${await apiPort(app)}`;
      const registered = await fetch(`${base}/v1/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD, role: 'agent' }),
      });
      expect(registered.status).toBe(201);
      const { accessToken } = (await registered.json()) as { accessToken: string };
      const auth = { Authorization: `Bearer ${accessToken}` };
      const open = new SseClient(base, auth);
      await waitFor(async () => open.frames.length > 0, 'the stream open');

      app.proc.kill('SIGTERM');
      const signalledAt = Date.now();
      await app.waitForOutput(/shutting down gracefully/);
      // Draining: a new stream is refused (the client retries elsewhere after Retry-After)…
      const refused = await fetch(`${base}/v1/events/stream`, { headers: auth });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(open.ended).toBe(false);
      // …then the open one ends, saying why, and the process exits well before its timeout.
      await waitFor(async () => open.ended, 'the open stream to end', 10_000);
      expect(open.frames.find((f) => f.event === 'stream.end')?.data).toBe('{"reason":"shutdown"}');
      expect(await app.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(15_000);
    } finally {
      await dropTestDatabase(name);
    }
  }, 60_000);

  it('stops at start-up naming a malformed variable', async () => {
    const app = track(runBuilt('main.js', { PORT: 'eighty', WORKERS: 'sometimes' }));
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/PORT: .*got "eighty"/);
    expect(app.output()).toMatch(/WORKERS: /);
  });

  it('writes readable lines instead of JSON with LOG_FORMAT=pretty (auto: only in a terminal)', async () => {
    const app = track(
      runBuilt('main.js', {
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: databaseUrl('postgres'),
        LOG_FORMAT: 'pretty',
      }),
    );
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] FATAL: Redis is not reachable/m);
    expect(app.output()).not.toContain('{"level"');
  });

  it('migration:run reads DATABASE_URL from .env in the working directory', async () => {
    const name = `handoff_test_${process.env[RUN_ENV]}_dotenv`;
    const dir = mkdtempSync(join(tmpdir(), 'handoff-dotenv-'));
    const admin = await adminClient();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    try {
      // Only the file says where the database is: nothing in the environment.
      writeFileSync(join(dir, '.env'), `# test\nDATABASE_URL=${databaseUrl(name)}\n`);
      const run = track(runBuilt('migrate.js', {}, ['run'], dir));
      expect(await run.exited).toBe(0);
      const db = new Client({ connectionString: databaseUrl(name) });
      await db.connect();
      const { rows } = await db.query('SELECT name FROM typeorm_migrations');
      await db.end();
      const files = readdirSync(join(DIST, '..', 'migrations')).filter((f) => f.endsWith('.js'));
      expect(rows).toHaveLength(files.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(name);
    }
  });

  it('migration:run and migration:revert wait while a starting process holds the migration lock', async () => {
    const name = `handoff_test_${process.env[RUN_ENV]}_migrate_lock`;
    const admin = await adminClient();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = databaseUrl(name);
    const db = new Client({ connectionString: url });
    await db.connect();
    const count = async () => {
      const { rows } = await db.query(`SELECT to_regclass('typeorm_migrations') AS t`);
      if (rows[0].t === null) return 0;
      return Number((await db.query('SELECT count(*) AS n FROM typeorm_migrations')).rows[0].n);
    };
    const files = readdirSync(join(DIST, '..', 'migrations')).filter((f) => f.endsWith('.js'));
    // A second session stands in for an API or worker running its start-up migrations.
    const starting = new Client({ connectionString: url });
    await starting.connect();
    try {
      for (const [command, after] of [
        ['run', files.length],
        ['revert', files.length - 1],
      ] as const) {
        await starting.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        const run = track(runBuilt('migrate.js', { DATABASE_URL: url }, [command]));
        await run.waitForOutput(/waiting for it to finish/);
        // It waits: nothing changes while the lock is held.
        await new Promise((r) => setTimeout(r, 500));
        expect(run.proc.exitCode).toBeNull();
        expect(await count()).toBe(command === 'run' ? 0 : files.length);
        // Idle while it waits, so that the holder's CREATE INDEX CONCURRENTLY (which waits for
        // every older snapshot) is not kept waiting by it: blocked in pg_advisory_lock, it was,
        // each waiting for the other for good.
        await db.query(`CREATE TABLE IF NOT EXISTS lock_probe (x int)`);
        await db.query(`SET statement_timeout = 5000`);
        await db.query(`CREATE INDEX CONCURRENTLY ix_lock_probe_${command} ON lock_probe (x)`);
        await db.query(`RESET statement_timeout`);
        await starting.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        expect(await run.exited).toBe(0);
        expect(await count()).toBe(after);
        expect(run.output()).toMatch(
          command === 'run' ? `${files.length} migration(s) run` : /Reverted \w+/,
        );
      }
    } finally {
      await starting.end();
      await db.end();
      await dropTestDatabase(name);
    }
  });

  it('stops with one clear paragraph when Redis is unreachable', async () => {
    const app = track(
      runBuilt('main.js', {
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: databaseUrl('postgres'),
      }),
    );
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('Redis is not reachable at redis://127.0.0.1:1');
    expect(app.output()).toContain('REDIS_URL');
  });

  it('runs workers alone (start:worker): relays and processes a job, then stops on SIGTERM', async () => {
    const name = await createTestDatabase();
    const prefix = `test-worker-${Date.now()}`;
    const url = databaseUrl(name);
    const queue = new Queue('default', { connection: redisOptionsFromUrl(TEST_REDIS_URL), prefix });
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const worker = track(
        runBuilt('worker.js', {
          DATABASE_URL: url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: prefix,
        }),
      );
      await worker.waitForOutput(/Handoff worker started/);
      const { rows } = await db.query(
        `INSERT INTO outbox (job_name, payload) VALUES ('system.ping', $1) RETURNING id`,
        [{ requestedAt: new Date().toISOString() }],
      );
      const jobId = outboxJobId(rows[0].id);
      await waitUntil(
        async () => (await (await queue.getJob(jobId))?.getState()) ?? 'missing',
        (state) => state === 'completed',
        'the relayed ping job to complete',
        10_000,
      );
      worker.proc.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toContain('shutdown complete');
    } finally {
      await db.end();
      await queue.obliterate({ force: true });
      await queue.close();
      await dropTestDatabase(name);
    }
  });

  // npm runs a script through `sh -c`, and this machine's sh does not hand its process over: a
  // SIGTERM to npm alone (a container's PID 1, a process manager) never reached the service,
  // which kept running until it was killed. With `exec`, a Ctrl-C to the terminal's whole
  // group arrives twice (from the terminal, and passed on by npm): that is still one signal.
  it('npm start: a SIGTERM to npm alone stops the API gracefully, and a Ctrl-C to its whole group too', async () => {
    const name = await createTestDatabase();
    const env = {
      DATABASE_URL: databaseUrl(name),
      REDIS_URL: TEST_REDIS_URL,
      PORT: '0',
      QUEUE_PREFIX: `test-npm-${name}`,
      JWT_SECRET: 'x'.repeat(40),
      WORKERS: 'off',
      // A drain delay past the timeout: the timeout is counted after the delay, not from the
      // signal (from the signal, it expired during the delay and the process exited 1).
      // (A timeout of a few seconds: a loaded CI machine may take more than one to close.)
      SHUTDOWN_DRAIN_DELAY_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: '2500',
    };
    const root = join(DIST, '..', '..');
    try {
      for (const stop of ['npm alone', 'the group'] as const) {
        const npm = track(runCommand('npm', ['start', '-s'], env, { cwd: root, detached: true }));
        await apiPort(npm, 60_000);
        if (stop === 'npm alone') npm.proc.kill('SIGTERM');
        else process.kill(-npm.proc.pid!, 'SIGINT');
        expect(await npm.exited).toBe(0);
        expect(npm.output()).toContain('shutdown complete');
        expect(npm.output()).not.toContain('second signal');
      }
    } finally {
      await dropTestDatabase(name);
    }
  }, 150_000);

  it('cli jobs:ping refuses a --timeout that is not a number of seconds, before starting anything', async () => {
    for (const timeout of ['abc', '0', '-5']) {
      const cli = track(runBuilt('cli.js', {}, ['jobs:ping', `--timeout=${timeout}`]));
      expect(await cli.exited).toBe(2);
      expect(cli.output()).toContain(
        `Error: --timeout must be a number of seconds above 0, not "${timeout}"`,
      );
    }
  });

  describe('cli users:create', () => {
    let name: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      name = await createTestDatabase();
      env = {
        DATABASE_URL: databaseUrl(name),
        REDIS_URL: TEST_REDIS_URL,
        JWT_SECRET: 'x'.repeat(40),
      };
    });
    afterAll(async () => {
      await dropTestDatabase(name);
    });

    it('creates a finance user with the password from HANDOFF_PASSWORD', async () => {
      const email = uniqueEmail('finance');
      const cli = track(
        runBuilt('cli.js', { ...env, HANDOFF_PASSWORD: PASSWORD }, [
          'users:create',
          '--role',
          'finance',
          '--email',
          email,
        ]),
      );
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain(`Created finance ${email}`);
      const db = new Client({ connectionString: databaseUrl(name) });
      await db.connect();
      const { rows } = await db.query('SELECT role FROM users WHERE email = $1', [email]);
      await db.end();
      expect(rows).toEqual([{ role: 'finance' }]);
    });

    it('users:set-password sets any user’s password and ends its logins; an unknown email is refused', async () => {
      const email = uniqueEmail('leaked');
      const create = track(
        runBuilt('cli.js', { ...env, HANDOFF_PASSWORD: PASSWORD }, [
          'users:create',
          '--role',
          'admin',
          '--email',
          email,
        ]),
      );
      expect(await create.exited).toBe(0);
      const db = new Client({ connectionString: databaseUrl(name) });
      await db.connect();
      try {
        const {
          rows: [user],
        } = await db.query('SELECT id, password_hash FROM users WHERE email = $1', [email]);
        // Two logins, as sign-ins on two devices leave them.
        for (const family of [crypto.randomUUID(), crypto.randomUUID()]) {
          await db.query(
            `INSERT INTO refresh_tokens
               (user_id, family_id, token_hash, expires_at, login_at, authenticated_at)
             VALUES ($1, $2, 'x', now() + interval '1 day', now(), now())`,
            [user.id, family],
          );
        }
        const fresh = 'a brand new passphrase';
        // Only .env in the working directory holds the password, as it may hold any variable:
        // read before the command line is checked, so no prompt is needed.
        const dir = mkdtempSync(join(tmpdir(), 'handoff-cli-'));
        writeFileSync(join(dir, '.env'), `HANDOFF_PASSWORD=${fresh}\n`);
        const set = track(
          runBuilt('cli.js', env, ['users:set-password', '--email', email.toUpperCase()], dir),
        );
        try {
          expect(await set.exited).toBe(0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        expect(set.output()).toContain(`Set the password of admin ${email}`);
        expect(set.output()).toContain('ended 2 login(s)');
        // Its transaction wrote the job that ends the user's streams, should the call after the
        // commit not have reached them.
        const { rows: jobs } = await db.query(
          `SELECT payload->>'subject' AS subject FROM outbox WHERE job_name = 'events.end-streams'`,
        );
        expect(jobs).toEqual([{ subject: user.id }]);
        const { rows } = await db.query(
          `SELECT u.password_hash, count(t.*) FILTER (WHERE t.revoked_at IS NULL)::int AS live
             FROM users u LEFT JOIN refresh_tokens t ON t.user_id = u.id
            WHERE u.id = $1 GROUP BY u.password_hash`,
          [user.id],
        );
        expect(rows[0].live).toBe(0);
        expect(await argon2.verify(rows[0].password_hash, fresh)).toBe(true);
        expect(await argon2.verify(rows[0].password_hash, PASSWORD)).toBe(false);
      } finally {
        await db.end();
      }
      const unknown = track(
        runBuilt('cli.js', { ...env, HANDOFF_PASSWORD: PASSWORD }, [
          'users:set-password',
          '--email',
          uniqueEmail('nobody'),
        ]),
      );
      expect(await unknown.exited).toBe(1);
      expect(unknown.output()).toContain('No user has the email');
    });

    it('creates and migrates no database: one missing or not migrated is refused, saying so', async () => {
      const missing = `handoff_cli_missing_${process.pid}_${Date.now()}`;
      const empty = `handoff_cli_empty_${process.pid}_${Date.now()}`;
      const admin = await adminClient();
      try {
        await admin.query(`CREATE DATABASE ${empty}`);
        const create = (db: string) =>
          track(
            runBuilt(
              'cli.js',
              { ...env, DATABASE_URL: databaseUrl(db), HANDOFF_PASSWORD: PASSWORD },
              ['users:create', '--role', 'finance', '--email', uniqueEmail('finance')],
            ),
          );
        const none = create(missing);
        expect(await none.exited).toBe(1);
        expect(none.output()).toContain(`database "${missing}" does not exist: check DATABASE_URL`);
        const unmigrated = create(empty);
        expect(await unmigrated.exited).toBe(1);
        expect(unmigrated.output()).toContain(`database "${empty}" has migrations to run`);
        // Neither was created nor migrated.
        const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
          missing,
        ]);
        expect(rows).toEqual([]);
        const db = new Client({ connectionString: databaseUrl(empty) });
        await db.connect();
        const tables = await db.query(
          `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
        );
        await db.end();
        expect(tables.rows).toEqual([{ n: 0 }]);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
        await admin.query(`DROP DATABASE IF EXISTS ${missing} WITH (FORCE)`);
        await admin.end();
      }
    });

    it('refuses roles that sign up themselves, and a missing password without a TTY', async () => {
      const wrongRole = track(
        runBuilt('cli.js', { ...env, HANDOFF_PASSWORD: PASSWORD }, [
          'users:create',
          '--role',
          'agent',
          '--email',
          uniqueEmail(),
        ]),
      );
      expect(await wrongRole.exited).toBe(1);
      expect(wrongRole.output()).toContain('--role must be finance or admin');
      const noPassword = track(
        runBuilt('cli.js', env, ['users:create', '--role', 'admin', '--email', uniqueEmail()]),
      );
      expect(await noPassword.exited).toBe(1);
      expect(noPassword.output()).toContain('HANDOFF_PASSWORD');
    });

    it("refuses a password sign-in would refuse: sign-up's 12 to 128 characters, counted as code points", async () => {
      for (const password of ['short', 'x'.repeat(129), '❤️'.repeat(65)]) {
        const email = uniqueEmail('finance');
        const cli = track(
          runBuilt('cli.js', { ...env, HANDOFF_PASSWORD: password }, [
            'users:create',
            '--role',
            'finance',
            '--email',
            email,
          ]),
        );
        expect(await cli.exited).toBe(1);
        expect(cli.output()).toContain('password must be 12 to 128 characters long');
      }
    });
  });
});
