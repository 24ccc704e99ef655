import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AgentsService } from '../src/modules/agents/agents.service';
import { PayoutLinesRepository } from '../src/modules/payouts/payout-lines.repository';
import { PayoutRunsRepository } from '../src/modules/payouts/payout-runs.repository';
import { UsersService } from '../src/modules/users/users.service';
import { createStaff, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';

/** Lines in the seeded run (the payout-run bench reads 50,000; this keeps the test short). */
const LINES = Number(process.env.PAYOUT_READ_LINES ?? 20_000);
/** Reads of each; the fastest counts (the first warms caches). */
const TRIES = Number(process.env.PAYOUT_READ_TRIES ?? 3);

/**
 * Reading a large run back: GET /v1/payout-runs/{id} and its CSV carry every line with the
 * agent's name and email, fetched with one query each per run (not one per line), in about the
 * time the run's lines alone take. The rows are seeded in bulk, as the payout-run bench does.
 */
describe('reading a large payout run', () => {
  let t: TestApp;
  let finance: SignedIn;
  let runId: string;
  let agents: string[];

  beforeAll(async () => {
    t = await createTestApp();
    finance = await createStaff(t, 'finance');
    agents = Array.from({ length: LINES }, () => randomUUID());
    await t.db.query(
      `INSERT INTO users (id, email, password_hash, role)
       SELECT id, 'agent-' || id || '@example.test', 'x', 'agent' FROM unnest($1::uuid[]) id`,
      [agents],
    );
    await t.db.query(
      `INSERT INTO agents (user_id, display_name)
       SELECT id, 'Agent ' || left(id::text, 8) FROM unnest($1::uuid[]) id`,
      [agents],
    );
    const [run] = await t.db.query(
      `INSERT INTO payout_runs (currency, cutoff, created_by, stripe_mode, status, executed_at,
                                completed_at)
       VALUES ('EUR', now(), $1, 'fake', 'completed', now(), now()) RETURNING id`,
      [finance.id],
    );
    runId = run.id;
    // Nine in ten paid, the rest held below the minimum (one in a thousand for a debt, with a
    // negative amount): a run as it looks once executed.
    await t.db.query(
      `INSERT INTO payout_lines (run_id, agent_id, stripe_account_id, amount_minor, transfer_minor,
                                 currency, status, held_reason, idempotency_key,
                                 stripe_transfer_id, attempts, paid_at)
       SELECT $1, a, 'acct_' || md5(a::text),
              CASE WHEN i % 1000 = 0 THEN -i ELSE 1000 + (i * 37) % 9000 END,
              CASE WHEN i % 10 = 0 THEN NULL ELSE 1000 + (i * 37) % 9000 END,
              'EUR',
              CASE WHEN i % 10 = 0 THEN 'held' ELSE 'paid' END,
              CASE WHEN i % 1000 = 0 THEN 'negative_balance'
                   WHEN i % 10 = 0 THEN 'below_minimum' END,
              'payout-line-' || a,
              CASE WHEN i % 10 = 0 THEN NULL ELSE 'tr_' || md5(a::text) END,
              CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END,
              CASE WHEN i % 10 = 0 THEN NULL ELSE now() END
         FROM unnest($2::uuid[]) WITH ORDINALITY AS x(a, i)`,
      [runId, agents],
    );
    await t.db.query('ANALYZE users; ANALYZE agents; ANALYZE payout_lines');
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  /** The fastest of TRIES reads, in ms, and the last answer. */
  async function timed(path: string) {
    const times: number[] = [];
    let res!: Awaited<ReturnType<TestApp['http']['get']>>;
    for (let i = 0; i < TRIES; i++) {
      const t0 = performance.now();
      res = await t.http.get(path).set(finance.auth).expect(200);
      times.push(performance.now() - t0);
    }
    return { ms: Math.min(...times), all: times.map((x) => Math.round(x)), res };
  }

  it(`answers a ${LINES}-line run and its CSV with every agent's name and email, one query each`, async () => {
    const names = jest.spyOn(t.app.get(AgentsService), 'displayNamesOf');
    const emails = jest.spyOn(t.app.get(UsersService), 'emailsOf');
    const json = await timed(`/v1/payout-runs/${runId}`);
    const csv = await timed(`/v1/payout-runs/${runId}/lines.csv`);
    console.log(
      `${LINES} lines: GET run ${json.all.join('/')} ms, GET lines.csv ${csv.all.join('/')} ms`,
    );
    // One call to each owner per read, whatever the run's size.
    expect(names).toHaveBeenCalledTimes(2 * TRIES);
    expect(emails).toHaveBeenCalledTimes(2 * TRIES);
    const lines = json.res.body.lines as { agentId: string; agentEmail: string }[];
    expect(lines).toHaveLength(LINES);
    expect(lines.every((l) => l.agentEmail === `agent-${l.agentId}@example.test`)).toBe(true);
    expect(lines[0]).toMatchObject({ agentDisplayName: `Agent ${lines[0].agentId.slice(0, 8)}` });
    const rows = csv.res.text.trim().split('\n');
    expect(rows).toHaveLength(LINES + 1);
    expect(rows[1]).toContain(`,Agent ${rows[1].split(',')[1].slice(0, 8)},agent-`);
    // Generous for a shared CI machine; the figures above are what to compare (the payout-run
    // bench reads 50,000 lines in about a second).
    expect(json.ms).toBeLessThan(5_000);
    expect(csv.ms).toBeLessThan(5_000);
  }, 120_000);

  type Line = { id: string; amountMinor: number; status: string; agentEmail: string };

  /** Every page of `query`'s lines, in order, and how many pages. */
  async function walk(query: string): Promise<{ lines: Line[]; pages: number }> {
    const lines: Line[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { items: Line[]; nextCursor: string | null } } = await t.http
        .get(`/v1/payout-runs/${runId}/lines?${query}${cursor ? `&cursor=${cursor}` : ''}`)
        .set(finance.auth)
        .expect(200);
      pages++;
      lines.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return { lines, pages };
  }

  /** Largest amount first, then by id, descending: the order pages keep while lines change. */
  const inPageOrder = (a: Line, b: Line) =>
    b.amountMinor - a.amountMinor || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  it('answers the run without its lines when asked, with the same totals', async () => {
    const lean = await timed(`/v1/payout-runs/${runId}?lines=none`);
    const full = await t.http.get(`/v1/payout-runs/${runId}`).set(finance.auth).expect(200);
    const firstPage = await timed(`/v1/payout-runs/${runId}/lines?limit=50`);
    console.log(
      `${LINES} lines: GET run?lines=none ${lean.all.join('/')} ms, ` +
        `GET …/lines?limit=50 ${firstPage.all.join('/')} ms`,
    );
    expect(lean.res.body.lines).toEqual([]);
    expect(lean.res.body.totals).toEqual(full.body.totals);
    expect(lean.res.body.totals.draftedLines + lean.res.body.totals.heldLines).toBeGreaterThan(0);
    expect(firstPage.res.body.items).toHaveLength(50);
  }, 60_000);

  it('pages through every line once, largest first, with names; and through one status', async () => {
    const full = await t.http.get(`/v1/payout-runs/${runId}`).set(finance.auth).expect(200);
    const all = await walk('limit=100');
    expect(all.pages).toBe(LINES / 100);
    expect(all.lines.map((l) => l.id)).toEqual(
      [...(full.body.lines as Line[])].sort(inPageOrder).map((l) => l.id),
    );
    expect(all.lines.every((l) => l.agentEmail.startsWith('agent-'))).toBe(true);

    // 95 a page puts a page's end on a line held for a debt: a negative amount in the cursor.
    const held = await walk('status=held&limit=95');
    expect(held.lines).toHaveLength(LINES / 10);
    expect(held.lines.every((l) => l.status === 'held')).toBe(true);
    expect(held.lines.map((l) => l.id)).toEqual(
      all.lines.filter((l) => l.status === 'held').map((l) => l.id),
    );
    expect(held.lines.some((l) => l.amountMinor < 0)).toBe(true);
    expect(held.pages).toBe(Math.ceil(LINES / 10 / 95));
  }, 120_000);

  it('keeps its place while lines change status between pages', async () => {
    const first = await t.http
      .get(`/v1/payout-runs/${runId}/lines?limit=20`)
      .set(finance.auth)
      .expect(200);
    const shown: Line[] = first.body.items;
    // Between the two reads, every paid line of the first page and the next fails: an order by
    // status would move them across the page's end.
    const next40 = await t.http
      .get(`/v1/payout-runs/${runId}/lines?limit=40`)
      .set(finance.auth)
      .expect(200);
    const ids = (next40.body.items as Line[]).map((l) => l.id);
    const paid = (next40.body.items as Line[]).filter((l) => l.status === 'paid').map((l) => l.id);
    await t.db.query(
      `UPDATE payout_lines SET status = 'failed', failure_code = 'account_closed',
                               stripe_transfer_id = NULL, paid_at = NULL
        WHERE id = ANY($1::uuid[])`,
      [paid],
    );
    try {
      const second = await t.http
        .get(`/v1/payout-runs/${runId}/lines?limit=20&cursor=${first.body.nextCursor}`)
        .set(finance.auth)
        .expect(200);
      expect([...shown, ...second.body.items].map((l: Line) => l.id)).toEqual(ids);
      expect(second.body.items.filter((l: Line) => l.status === 'failed')).toHaveLength(
        paid.filter((id) => !shown.some((l) => l.id === id)).length,
      );
    } finally {
      await t.db.query(
        `UPDATE payout_lines SET status = 'paid', failure_code = NULL,
                                 stripe_transfer_id = 'tr_' || md5(agent_id::text), paid_at = now()
          WHERE id = ANY($1::uuid[])`,
        [paid],
      );
    }
  });

  /**
   * Runs `read` while one paid line of the run fails just after the repository read `method`
   * answered (a line settling between a use case's two reads), then pays the line again.
   */
  async function lineFailsAfter<R extends object>(
    repo: R,
    method: keyof R & string,
    read: () => Promise<void>,
  ): Promise<void> {
    const real = (repo[method] as (...a: unknown[]) => Promise<unknown>).bind(repo);
    let changed = '';
    const spy = jest.spyOn(repo, method as never).mockImplementation((async (
      ...args: unknown[]
    ) => {
      const answer = await real(...args);
      // An UPDATE answers [rows, count].
      const [[line]] = await t.db.query(
        `UPDATE payout_lines SET status = 'failed', failure_code = 'account_closed',
                                 stripe_transfer_id = NULL, paid_at = NULL
          WHERE id = (SELECT id FROM payout_lines WHERE run_id = $1 AND status = 'paid' LIMIT 1)
          RETURNING id`,
        [runId],
      );
      changed = line.id;
      return answer;
    }) as never);
    try {
      await read();
    } finally {
      spy.mockRestore();
      expect(changed).not.toBe('');
      await t.db.query(
        `UPDATE payout_lines SET status = 'paid', failure_code = NULL,
                                 stripe_transfer_id = 'tr_' || md5(agent_id::text), paid_at = now()
          WHERE id = $1`,
        [changed],
      );
    }
  }

  it('reads the run, its totals and its lines from one snapshot', async () => {
    // A line is paid (here: fails) between the read of the lines and the rest.
    await lineFailsAfter(t.app.get(PayoutLinesRepository), 'ofRun', async () => {
      const res = await t.http.get(`/v1/payout-runs/${runId}`).set(finance.auth).expect(200);
      const paid = (res.body.lines as Line[]).filter((l) => l.status === 'paid').length;
      expect(res.body.totals.paidLines).toBe(paid);
    });
  }, 60_000);

  it('lists the runs and their totals from one snapshot', async () => {
    // A line fails between the read of the runs and that of their totals.
    const [{ n: paidBefore }] = await t.db.query(
      `SELECT count(*)::int AS n FROM payout_lines WHERE run_id = $1 AND status = 'paid'`,
      [runId],
    );
    await lineFailsAfter(t.app.get(PayoutRunsRepository), 'page', async () => {
      const res = await t.http.get('/v1/payout-runs').set(finance.auth).expect(200);
      const listed = res.body.items.find((r: { id: string }) => r.id === runId);
      expect(listed.totals.paidLines).toBe(paidBefore);
    });
  }, 60_000);

  it('refuses a bad status, cursor, limit or lines value, naming the field; 404 for no run', async () => {
    const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    for (const [query, field] of [
      ['status=lost', 'status'],
      ['cursor=nope', 'cursor'],
      [`cursor=${cursor(['1.5', randomUUID()])}`, 'cursor'],
      [`cursor=${cursor(['100', 'not-a-line'])}`, 'cursor'],
      [`cursor=${cursor([100, randomUUID()])}`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
    ]) {
      const res = await t.http
        .get(`/v1/payout-runs/${runId}/lines?${query}`)
        .set(finance.auth)
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([field]);
    }
    const res = await t.http
      .get(`/v1/payout-runs/${runId}?lines=some`)
      .set(finance.auth)
      .expect(400);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual(['lines']);
    const missing = await t.http
      .get(`/v1/payout-runs/${randomUUID()}/lines`)
      .set(finance.auth)
      .expect(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });
});
