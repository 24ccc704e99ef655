import { Client } from 'pg';
import {
  RELEASED_BY,
  TICKET_CLAIM_STATUSES,
  TICKET_CLAIM_TRANSITIONS,
  TICKET_STATUSES,
  TICKET_TRANSITIONS,
} from '../src/modules/tickets/ticket-rules';
import { databaseUrl } from './support/services';
import { createTestDatabase, dropTestDatabase } from './support/test-database';

/*
 * The ticket and claim status lists and transition tables are written twice: in TypeScript
 * (src/modules/tickets/ticket-rules.ts) and in the database (CHECK constraints, transition
 * triggers). This test reads the database's side and compares: a change on one side alone fails
 * here. The trigger functions are read by running them (attached to a scratch table, every
 * move between the statuses the CHECK allows is tried), so any way of writing them is read
 * right; pg_get_functiondef shows their text when they disagree.
 */

type Transitions = { readonly [from: string]: readonly string[] };

interface Machine {
  table: string;
  statusCheck: string;
  trigger: string;
  transitionConstraint: string;
}

const TICKETS: Machine = {
  table: 'tickets',
  statusCheck: 'ck_tickets_status',
  trigger: 'trg_tickets_transition',
  transitionConstraint: 'ck_tickets_transition',
};
const CLAIMS: Machine = {
  table: 'ticket_claims',
  statusCheck: 'ck_ticket_claims_status',
  trigger: 'trg_ticket_claims_transition',
  transitionConstraint: 'ck_ticket_claims_transition',
};

/** The values a CHECK (col IN (...)) allows, in its order. */
async function checkValues(db: Client, constraint: string): Promise<string[]> {
  const { rows } = await db.query<{ def: string }>(
    'SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1',
    [constraint],
  );
  if (rows.length !== 1) throw new Error(`constraint ${constraint} not found`);
  return [...rows[0].def.matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1].replace(/''/g, "'"));
}

/** The function a transition trigger runs, checked to fire on every status change. */
async function triggerFunction(db: Client, m: Machine): Promise<{ name: string; def: string }> {
  const { rows } = await db.query<{ name: string; def: string; ok: boolean }>(
    `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS def,
            tg.tgenabled = 'O' AND pg_get_triggerdef(tg.oid) ~ 'BEFORE UPDATE OF status ON' AS ok
       FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
      WHERE tg.tgname = $1 AND tg.tgrelid = $2::regclass`,
    [m.trigger, m.table],
  );
  if (rows.length !== 1 || !rows[0].ok) {
    throw new Error(`${m.trigger} is missing, disabled or not BEFORE UPDATE OF status`);
  }
  return rows[0];
}

/**
 * The moves a trigger function allows between the given statuses: each is tried on a scratch
 * table carrying the same trigger, inside the caller's transaction (rolled back by the caller).
 */
async function allowedMoves(
  db: Client,
  fn: string,
  m: Machine,
  statuses: readonly string[],
): Promise<Record<string, string[]>> {
  await db.query('CREATE TEMP TABLE IF NOT EXISTS status_probe (status text) ON COMMIT DROP');
  await db.query('DROP TRIGGER IF EXISTS probe_transition ON status_probe');
  await db.query(
    `CREATE TRIGGER probe_transition BEFORE UPDATE OF status ON status_probe
     FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  );
  const out: Record<string, string[]> = {};
  for (const from of statuses) {
    out[from] = [];
    for (const to of statuses) {
      if (to === from) continue;
      await db.query('SAVEPOINT probe');
      try {
        await db.query('INSERT INTO status_probe VALUES ($1)', [from]);
        await db.query('UPDATE status_probe SET status = $1', [to]);
        out[from].push(to);
      } catch (e) {
        const err = e as { code?: string; constraint?: string };
        if (err.code !== '23514' || err.constraint !== m.transitionConstraint) throw e;
      } finally {
        await db.query('ROLLBACK TO SAVEPOINT probe');
      }
    }
  }
  return out;
}

/** Where the TypeScript table and the database's disagree; empty when they match. */
function transitionDifferences(
  code: Transitions,
  db: Record<string, string[]>,
  statuses: readonly string[],
): string[] {
  const out: string[] = [];
  for (const from of Object.keys(code)) {
    if (!statuses.includes(from)) out.push(`${from}: not a status the database allows`);
  }
  for (const from of statuses) {
    if (!(from in code)) out.push(`${from}: missing from the TypeScript table`);
    for (const to of statuses) {
      if (to === from) continue;
      const inCode = (code[from] ?? []).includes(to);
      const inDb = db[from].includes(to);
      if (inCode !== inDb) {
        out.push(
          `${from} → ${to}: ${inCode ? 'allowed' : 'refused'} in TypeScript, ` +
            `${inDb ? 'allowed' : 'refused'} by the database`,
        );
      }
    }
  }
  return out;
}

/** Where a TypeScript status list and a CHECK's values disagree (as sets). */
function listDifferences(code: readonly string[], db: readonly string[]): string[] {
  return [
    ...code.filter((s) => !db.includes(s)).map((s) => `${s}: only in TypeScript`),
    ...db.filter((s) => !code.includes(s)).map((s) => `${s}: only in the database`),
  ];
}

async function compareMachine(
  db: Client,
  m: Machine,
  codeStatuses: readonly string[],
  codeTransitions: Transitions,
): Promise<string[]> {
  const statuses = await checkValues(db, m.statusCheck);
  const fn = await triggerFunction(db, m);
  const moves = await allowedMoves(db, fn.name, m, statuses);
  const problems = [
    ...listDifferences(codeStatuses, statuses).map((p) => `${m.statusCheck}: ${p}`),
    ...transitionDifferences(codeTransitions, moves, statuses).map((p) => `${fn.name}: ${p}`),
  ];
  return problems.length ? [...problems, `(${fn.name} is:\n${fn.def})`] : [];
}

describe('ticket status rules: TypeScript and the database agree', () => {
  let database: string;
  let db: Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: databaseUrl(database) });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    if (database) await dropTestDatabase(database);
  });
  beforeEach(() => db.query('BEGIN'));
  afterEach(() => db.query('ROLLBACK'));

  it('ticket statuses and TICKET_TRANSITIONS match ck_tickets_status and tickets_transition', async () => {
    expect(await compareMachine(db, TICKETS, TICKET_STATUSES, TICKET_TRANSITIONS)).toEqual([]);
  });

  it('claim statuses and TICKET_CLAIM_TRANSITIONS match ck_ticket_claims_status and ticket_claims_transition', async () => {
    expect(
      await compareMachine(db, CLAIMS, TICKET_CLAIM_STATUSES, TICKET_CLAIM_TRANSITIONS),
    ).toEqual([]);
  });

  it('RELEASED_BY matches ck_ticket_claims_released_by', async () => {
    const values = await checkValues(db, 'ck_ticket_claims_released_by');
    expect(listDifferences(RELEASED_BY, values)).toEqual([]);
  });

  describe('catches a change on one side only', () => {
    it('a TypeScript table with a move the trigger refuses, or without one it allows', async () => {
      const extra = { ...TICKET_TRANSITIONS, resolved: ['open', 'claimed'] };
      expect(await compareMachine(db, TICKETS, TICKET_STATUSES, extra)).toEqual(
        expect.arrayContaining([
          'tickets_transition: resolved → claimed: allowed in TypeScript, refused by the database',
        ]),
      );
      const fewer = { ...TICKET_CLAIM_TRANSITIONS, active: ['released'] };
      expect(await compareMachine(db, CLAIMS, TICKET_CLAIM_STATUSES, fewer)).toEqual(
        expect.arrayContaining([
          'ticket_claims_transition: active → resolved: refused in TypeScript, allowed by the database',
        ]),
      );
    });

    it('a TypeScript status list with a status more or less', async () => {
      expect(
        await compareMachine(db, TICKETS, [...TICKET_STATUSES, 'escalated'], TICKET_TRANSITIONS),
      ).toEqual(expect.arrayContaining(['ck_tickets_status: escalated: only in TypeScript']));
      expect(
        listDifferences(
          RELEASED_BY.slice(0, -1),
          await checkValues(db, 'ck_ticket_claims_released_by'),
        ),
      ).toEqual([`${RELEASED_BY[RELEASED_BY.length - 1]}: only in the database`]);
    });

    it('a trigger function or a CHECK changed in the database', async () => {
      // Changed inside the test's transaction, rolled back after it.
      await db.query(`
        CREATE OR REPLACE FUNCTION tickets_transition() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RETURN NEW;
        END $$`);
      expect(await compareMachine(db, TICKETS, TICKET_STATUSES, TICKET_TRANSITIONS)).toEqual(
        expect.arrayContaining([
          'tickets_transition: open → resolved: refused in TypeScript, allowed by the database',
        ]),
      );
      await db.query(`
        ALTER TABLE ticket_claims
          DROP CONSTRAINT ck_ticket_claims_status,
          ADD CONSTRAINT ck_ticket_claims_status
            CHECK (status IN ('active', 'released', 'resolved', 'expired'))`);
      expect(
        await compareMachine(db, CLAIMS, TICKET_CLAIM_STATUSES, TICKET_CLAIM_TRANSITIONS),
      ).toEqual(
        expect.arrayContaining([
          'ck_ticket_claims_status: expired: only in the database',
          'ticket_claims_transition: expired: missing from the TypeScript table',
          'ticket_claims_transition: active → expired: refused in TypeScript, allowed by the database',
        ]),
      );
    });
  });
});
