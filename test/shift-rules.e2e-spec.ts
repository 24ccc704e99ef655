import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACTIVE_CLAIM_STATUSES,
  CLAIM_TRANSITIONS,
  SEAT_USING_STATUSES,
  SHIFT_TRANSITIONS,
} from '../src/modules/shifts/shift-rules';
import { NoShowCheckHandler } from '../src/modules/shifts/shift-timers.handlers';
import { changedRows } from '../src/database/sql';
import { registerAgent, registerCompany } from './support/factories';
import { inMinutes, moveShift, postShift } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';

/*
 * The shift and claim status lists are written once, in src/modules/shifts/shift-rules.ts; the
 * database states the same rules in its own objects. This reads those objects and fails when
 * either side changes alone.
 */

type Table = Record<string, readonly string[]>;

interface TsRules {
  shiftTransitions: Table;
  claimTransitions: Table;
  activeClaimStatuses: readonly string[];
  seatUsingStatuses: readonly string[];
}

const TS: TsRules = {
  shiftTransitions: SHIFT_TRANSITIONS,
  claimTransitions: CLAIM_TRANSITIONS,
  activeClaimStatuses: ACTIVE_CLAIM_STATUSES,
  seatUsingStatuses: SEAT_USING_STATUSES,
};

/** The database's side, as text: what pg_get_functiondef / constraintdef / indexdef print. */
interface DbDefinitions {
  shiftsTrigger: string;
  claimsTrigger: string;
  shiftsStatusCheck: string;
  claimsStatusCheck: string;
  overlapExclusion: string;
  /** Partial indexes of shifts and shift_claims: name → predicate. */
  shiftsPartialIndexes: Record<string, string>;
  claimsPartialIndexes: Record<string, string>;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
/** Every claim status, written out (not read from shift-rules.ts, which the test checks). */
const CLAIM_STATUSES_SORTED = [
  'cancelled',
  'checked_in',
  'claimed',
  'completed',
  'left_early',
  'no_show',
];
const literals = (list: string) => [...list.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);

/** Statuses a CHECK or predicate names: `status = 'x'` and `status = ANY (ARRAY['x', …])`. */
function statusesIn(def: string): string[] {
  const found: string[] = [];
  for (const m of def.matchAll(/\bstatus = '([a-z_]+)'/g)) found.push(m[1]);
  for (const m of def.matchAll(/\bstatus = ANY \(ARRAY\[([^\]]*)\]\)/g)) {
    found.push(...literals(m[1]));
  }
  for (const m of def.matchAll(/\bstatus IN \(([^)]*)\)/g)) found.push(...literals(m[1]));
  return sorted(found);
}

/**
 * The transition table a trigger function enforces, over the statuses the CHECK allows. Two
 * shapes are understood: an allow-list of moves (`NOT ((OLD.status = 'a' AND NEW.status IN
 * ('b', 'c')) OR …)`), and "only X may move, to anything" (`OLD.status <> 'X'`). Any other
 * shape is an error, so a rewritten trigger is looked at, not silently passed.
 */
function transitionsIn(trigger: string, statuses: string[]): Record<string, string[]> {
  const table: Record<string, string[]> = Object.fromEntries(statuses.map((s) => [s, []]));
  const moves = [
    ...trigger.matchAll(
      /OLD\.status = '([a-z_]+)' AND NEW\.status (?:= '([a-z_]+)'|IN \(([^)]*)\))/g,
    ),
  ];
  const onlyFrom = /OLD\.status <> '([a-z_]+)'/.exec(trigger);
  if (moves.length > 0 && /AND NOT \(/.test(trigger)) {
    for (const [, from, to, list] of moves) {
      table[from] = sorted([...(table[from] ?? []), ...(to ? [to] : literals(list))]);
    }
  } else if (onlyFrom && moves.length === 0) {
    table[onlyFrom[1]] = statuses.filter((s) => s !== onlyFrom[1]);
  } else {
    throw new Error(`unrecognised trigger shape:\n${trigger}`);
  }
  return table;
}

const normal = (t: Table) =>
  JSON.stringify(
    Object.fromEntries(
      Object.keys(t)
        .sort()
        .map((k) => [k, sorted(t[k])]),
    ),
  );

/** Every disagreement between the TypeScript lists and the database's definitions. */
function mismatches(db: DbDefinitions, ts: TsRules): string[] {
  const out: string[] = [];
  const check = (what: string, dbSide: unknown, tsSide: unknown) => {
    const [a, b] = [JSON.stringify(dbSide), JSON.stringify(tsSide)];
    if (a !== b) out.push(`${what}: database ${a}, TypeScript ${b}`);
  };
  const shiftStatuses = statusesIn(db.shiftsStatusCheck);
  const claimStatuses = statusesIn(db.claimsStatusCheck);
  check(
    'shift statuses (ck_shifts_status)',
    shiftStatuses,
    sorted(Object.keys(ts.shiftTransitions)),
  );
  check(
    'claim statuses (ck_shift_claims_status)',
    claimStatuses,
    sorted(Object.keys(ts.claimTransitions)),
  );
  check(
    'shift transitions (shifts_transition)',
    JSON.parse(normal(transitionsIn(db.shiftsTrigger, shiftStatuses))),
    JSON.parse(normal(ts.shiftTransitions)),
  );
  check(
    'claim transitions (shift_claims_transition)',
    JSON.parse(normal(transitionsIn(db.claimsTrigger, claimStatuses))),
    JSON.parse(normal(ts.claimTransitions)),
  );
  check(
    'active claims (ex_shift_claims_agent_overlap)',
    statusesIn(db.overlapExclusion),
    sorted(ts.activeClaimStatuses),
  );
  const claimStatusSet = new Set(Object.keys(ts.claimTransitions));
  const shiftStatusSet = new Set(Object.keys(ts.shiftTransitions));
  for (const [s, list] of [
    ['ACTIVE_CLAIM_STATUSES', ts.activeClaimStatuses],
    ['SEAT_USING_STATUSES', ts.seatUsingStatuses],
  ] as const) {
    const unknown = list.filter((x) => !claimStatusSet.has(x));
    if (unknown.length > 0) out.push(`${s} names statuses no claim can have: ${unknown}`);
  }
  // Active claims use a seat; a seat in use stays in use until cancelled or a no-show.
  const notUsing = ts.activeClaimStatuses.filter((x) => !ts.seatUsingStatuses.includes(x));
  if (notUsing.length > 0) out.push(`active claims not counted as using a seat: ${notUsing}`);
  for (const [table, indexes, known] of [
    ['shifts', db.shiftsPartialIndexes, shiftStatusSet],
    ['shift_claims', db.claimsPartialIndexes, claimStatusSet],
  ] as const) {
    for (const [index, predicate] of Object.entries(indexes)) {
      const unknown = statusesIn(predicate).filter((x) => !known.has(x));
      if (unknown.length > 0) out.push(`${index} on ${table} names unknown statuses: ${unknown}`);
    }
  }
  return out;
}

describe('shift and claim status lists: one source (shift-rules.ts) the database agrees with', () => {
  let t: TestApp;
  let db: DbDefinitions;
  beforeAll(async () => {
    t = await createTestApp();
    const fn = async (name: string) =>
      (
        (await t.db.query('SELECT pg_get_functiondef($1::regproc) AS def', [name]))[0] as {
          def: string;
        }
      ).def;
    const constraint = async (name: string) =>
      (
        (await t.db.query(
          'SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1',
          [name],
        )) as { def: string }[]
      )[0].def;
    const partialIndexes = async (table: string) => {
      const rows: { name: string; def: string }[] = await t.db.query(
        `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i
          WHERE i.indrelid = $1::regclass AND i.indpred IS NOT NULL ORDER BY 1`,
        [table],
      );
      return Object.fromEntries(rows.map((r) => [r.name, r.def.replace(/^.* WHERE /s, '')]));
    };
    db = {
      shiftsTrigger: await fn('shifts_transition'),
      claimsTrigger: await fn('shift_claims_transition'),
      shiftsStatusCheck: await constraint('ck_shifts_status'),
      claimsStatusCheck: await constraint('ck_shift_claims_status'),
      overlapExclusion: await constraint('ex_shift_claims_agent_overlap'),
      shiftsPartialIndexes: await partialIndexes('shifts'),
      claimsPartialIndexes: await partialIndexes('shift_claims'),
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads the rules the database enforces', () => {
    const claimStatuses = statusesIn(db.claimsStatusCheck);
    expect(claimStatuses).toEqual(CLAIM_STATUSES_SORTED);
    expect(transitionsIn(db.claimsTrigger, claimStatuses).claimed).toEqual([
      'cancelled',
      'checked_in',
      'no_show',
    ]);
    expect(statusesIn(db.overlapExclusion)).toEqual(['checked_in', 'claimed']);
    expect(Object.keys(db.claimsPartialIndexes)).toEqual(
      expect.arrayContaining(['ex_shift_claims_agent_overlap', 'ix_shift_claims_checked_in']),
    );
    expect(Object.keys(db.shiftsPartialIndexes)).toEqual([
      'ix_shifts_live_push',
      'ix_shifts_scheduled_starts',
    ]);
  });

  it('agrees with shift-rules.ts', () => {
    expect(mismatches(db, TS)).toEqual([]);
  });

  it('fails when the TypeScript side changes alone (altered copies of the tables)', () => {
    const claimNoShowAfterCheckIn = {
      ...TS,
      claimTransitions: {
        ...CLAIM_TRANSITIONS,
        checked_in: ['completed', 'left_early', 'cancelled', 'no_show'],
      },
    };
    expect(mismatches(db, claimNoShowAfterCheckIn)).toEqual([
      expect.stringMatching(
        /^claim transitions \(shift_claims_transition\): database .*"checked_in":\["cancelled","completed","left_early"\]/,
      ),
    ]);
    const newStatus = { ...TS, claimTransitions: { ...CLAIM_TRANSITIONS, paused: [] } };
    expect(mismatches(db, newStatus)).toEqual([
      expect.stringMatching(/^claim statuses \(ck_shift_claims_status\)/),
      expect.stringMatching(/^claim transitions/),
    ]);
    const reopenShift = {
      ...TS,
      shiftTransitions: { ...SHIFT_TRANSITIONS, cancelled: ['scheduled'] },
    };
    expect(mismatches(db, reopenShift)).toEqual([
      expect.stringMatching(/^shift transitions \(shifts_transition\)/),
    ]);
    const narrowActive = { ...TS, activeClaimStatuses: ['claimed'] };
    expect(mismatches(db, narrowActive)).toEqual([
      expect.stringMatching(/^active claims \(ex_shift_claims_agent_overlap\)/),
    ]);
    const seatsWithoutActive = { ...TS, seatUsingStatuses: ['completed'] };
    expect(mismatches(db, seatsWithoutActive)).toEqual([
      'active claims not counted as using a seat: claimed,checked_in',
    ]);
  });

  it('fails when the database side changes alone', () => {
    const widerTrigger = {
      ...db,
      claimsTrigger: db.claimsTrigger.replace(
        "NEW.status IN ('completed', 'left_early', 'cancelled')",
        "NEW.status IN ('completed', 'left_early', 'cancelled', 'no_show')",
      ),
    };
    expect(widerTrigger.claimsTrigger).not.toBe(db.claimsTrigger);
    expect(mismatches(widerTrigger, TS)).toEqual([expect.stringMatching(/^claim transitions/)]);
    const oddIndex = {
      ...db,
      claimsPartialIndexes: { ...db.claimsPartialIndexes, ix_x: "(status = 'paused'::text)" },
    };
    expect(mismatches(oddIndex, TS)).toEqual([
      'ix_x on shift_claims names unknown statuses: paused',
    ]);
    expect(() => transitionsIn('BEGIN RETURN NEW; END', ['a'])).toThrow(/unrecognised/);
  });

  it('counts in seats_taken exactly the claims in SEAT_USING_STATUSES', async () => {
    const company = await registerCompany(t, 'Seat Co');
    const shift = await postShift(t, company, { seats: 6 });
    const agents = await Promise.all(Array.from({ length: 6 }, () => registerAgent(t)));
    for (const a of agents) {
      await t.http.post(`/v1/shifts/${shift.id}/claims`).set(a.auth).expect(201);
    }
    // One seat ends in each status: claimed, completed, cancelled, checked in, no-show, left early.
    const [, completed, cancelled, checkedIn, noShow, leftEarly] = agents;
    await t.http.delete(`/v1/shifts/${shift.id}/claims/me`).set(cancelled.auth).expect(200);
    await moveShift(t, shift.id, inMinutes(5), inMinutes(125));
    for (const a of [completed, checkedIn, leftEarly]) {
      await t.http.post(`/v1/shifts/${shift.id}/check-in`).set(a.auth).expect(200);
    }
    // Begun, with its seats still open to claims: a check-out is leaving early.
    await moveShift(t, shift.id, inMinutes(-5), inMinutes(115));
    await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(leftEarly.auth).expect(200);
    // Past the close of claims: a check-out completes the seat.
    await moveShift(t, shift.id, inMinutes(-100), inMinutes(20));
    await t.http.post(`/v1/shifts/${shift.id}/check-out`).set(completed.auth).expect(200);
    const [{ id: noShowClaim }] = await changedRows(
      t.db,
      `UPDATE shift_claims SET check_in_deadline = now() - interval '1 second'
        WHERE shift_id = $1 AND agent_id = $2 RETURNING id`,
      [shift.id, noShow.id],
    );
    await expect(t.app.get(NoShowCheckHandler).handle({ claimId: noShowClaim })).resolves.toEqual({
      noShow: true,
    });

    const counted = async (statuses: readonly string[]) =>
      (
        (await t.db.query(
          `SELECT s.seats_taken, (SELECT count(*)::int FROM shift_claims c
                                   WHERE c.shift_id = s.id AND c.status = ANY($2)) AS n
             FROM shifts s WHERE s.id = $1`,
          [shift.id, statuses],
        )) as { seats_taken: number; n: number }[]
      )[0];
    const statuses: { status: string }[] = await t.db.query(
      'SELECT status FROM shift_claims WHERE shift_id = $1 ORDER BY status',
      [shift.id],
    );
    expect(statuses.map((s) => s.status)).toEqual(CLAIM_STATUSES_SORTED);
    const ok = await counted(SEAT_USING_STATUSES);
    expect(ok).toEqual({ seats_taken: 3, n: 3 });
    // An altered copy of the list disagrees with the seats the code counted.
    const altered = await counted(SEAT_USING_STATUSES.filter((s) => s !== 'completed'));
    expect(altered.n).not.toBe(altered.seats_taken);
  });

  it('leaves no status list hard-coded in the shifts module’s SQL', () => {
    const dir = join(__dirname, '..', 'src', 'modules', 'shifts');
    const hardCoded = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/status\s+IN\s*\(\s*'/gi)].map(
          (m) => `${f}: ${m[0]}`,
        ),
      );
    expect(hardCoded).toEqual([]);
  });
});
