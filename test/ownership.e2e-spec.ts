import { join } from 'node:path';
import { FUNCTION_OWNERS, TABLE_OWNERS } from '../src/database/table-owners';
import {
  checkFunctions,
  checkSources,
  moduleSources,
  namesIn,
  sqlOutsideRepositories,
  Violation,
} from './support/ownership';
import { createTestApp, TestApp } from './support/test-app';

const show = (vs: Violation[]) => vs.map((v) => `${v.where}: ${v.names} (owned by ${v.owner})`);

describe('each module owns its tables (src/database/table-owners.ts)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('maps every table of the schema to one module, and only those', async () => {
    const tables: { name: string }[] = await t.db.query(
      `SELECT tablename AS name FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations' ORDER BY 1`,
    );
    expect(tables.map((r) => r.name)).toEqual(Object.keys(TABLE_OWNERS).sort());
  });

  it('finds SQL in one module naming a table another owns (a planted violation)', () => {
    const planted = {
      'payouts/payout-balances.repository.ts': `
        export const SQL = \`SELECT sum(l.amount_minor) FROM journal_lines l
                              JOIN ledger_accounts a ON a.id = l.account_id\`;`,
      'tickets/x.service.ts': `em.query('UPDATE shift_claims SET status = $1 WHERE id = $2')`,
      'shifts/y.ts': `import { Agent } from '../agents/agent.entity';`,
      'ledger/fine.repository.ts': `em.query('SELECT * FROM earnings WHERE claim_id = $1')`,
    };
    expect(show(checkSources(planted))).toEqual([
      'payouts/payout-balances.repository.ts: journal_lines (owned by ledger)',
      'payouts/payout-balances.repository.ts: ledger_accounts (owned by ledger)',
      'tickets/x.service.ts: shift_claims (owned by shifts)',
      'shifts/y.ts: agents entity (owned by agents)',
    ]);
    expect(
      show(
        checkFunctions({ claim_next_ticket: 'SELECT 1 FROM payout_lines', mystery: 'SELECT 1' }),
      ),
    ).toEqual([
      'function claim_next_ticket: payout_lines (owned by payouts)',
      'function mystery: mystery (owned by no owner in the map)',
    ]);
    expect(namesIn('INSERT INTO outbox (job_name) SELECT x FROM agent_context($1)')).toEqual([
      'outbox',
      'agent_context',
    ]);
  });

  it("keeps every module's SQL to its own tables, but for the declared exceptions", () => {
    expect(show(checkSources(moduleSources(join(__dirname, '..', 'src', 'modules'))))).toEqual([]);
  });

  it('holds SQL only in repository files (services keep rules and transactions)', () => {
    expect(
      sqlOutsideRepositories({
        'ledger/x.service.ts': "q('SELECT 1 FROM earnings')",
        'agents/y.service.ts': 'await em.getRepository(Agent).update(x, y)',
        'agents/agents.repository.ts': 'await em.getRepository(Agent).update(x, y)',
      }),
    ).toEqual([
      "ledger/x.service.ts: 'SELECT 1 FROM earnings'",
      'agents/y.service.ts: getRepository',
    ]);
    expect(sqlOutsideRepositories(moduleSources(join(__dirname, '..', 'src', 'modules')))).toEqual(
      [],
    );
  });

  it('keeps every SQL function to its own module’s tables, but for the declared exceptions', async () => {
    // The application's functions (not those of extensions such as btree_gist).
    const rows: { name: string; body: string }[] = await t.db.query(
      `SELECT p.proname AS name, p.prosrc AS body
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                           WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1`,
    );
    // Overloads (a previous release's form kept for a rolling deploy) are checked together.
    const bodies: Record<string, string> = {};
    for (const r of rows) bodies[r.name] = `${bodies[r.name] ?? ''}\n${r.body}`;
    expect(Object.keys(bodies).sort()).toEqual(Object.keys(FUNCTION_OWNERS).sort());
    expect(show(checkFunctions(bodies))).toEqual([]);
  });
});
