import { createStaff, registerAgent, registerCompany } from './support/factories';
import { pageAll } from './support/pages';
import { postShift, setProfile } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Keyset cursors over timestamps keep the microsecond (`cursorInstant`): a cursor made from a
 * JavaScript Date kept the millisecond only, and the next page skipped every row of the same
 * millisecond before the page's last. Tickets have their own case in tickets.e2e-spec.ts.
 */
describe('cursors over rows of one millisecond', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** `n` instants in one millisecond, tomorrow, latest first. */
  const sameMillisecond = (n: number) => {
    const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    return ['789', '456', '001'].slice(0, n).map((us) => `${day}T10:00:00.123${us}Z`);
  };

  it('shifts: the company list, the open shifts, and an agent’s seats', async () => {
    const acme = await registerCompany(t, 'Burst shifts');
    const holder = await registerAgent(t);
    await setProfile(t, holder, { languages: ['en'] });
    const shifts: string[] = [];
    const claims: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Apart at first, so that one agent may hold a seat on each.
      const start = new Date(Date.now() + (24 + 5 * i) * 3_600_000);
      const shift = await postShift(t, acme, {
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 4 * 3_600_000).toISOString(),
      });
      const claim = await t.http
        .post(`/v1/shifts/${shift.id}/claims`)
        .set(holder.auth)
        .set('Idempotency-Key', `cursor-${shift.id}`)
        .expect(201);
      shifts.push(shift.id);
      claims.push(claim.body.id as string);
    }
    // Then one millisecond apart in microseconds, the first made the latest.
    for (const [i, at] of sameMillisecond(3).entries()) {
      await t.db.query(
        `UPDATE shifts SET starts_at = $2::timestamptz,
                ends_at = $2::timestamptz + interval '4 hours' WHERE id = $1`,
        [shifts[i], at],
      );
    }
    const soonestFirst = [...shifts].reverse();
    expect(await pageAll(t, '/v1/shifts', acme.auth)).toEqual(soonestFirst);
    // Newest shift first.
    expect(await pageAll(t, '/v1/agents/me/claims', holder.auth)).toEqual(claims);

    const looking = await registerAgent(t);
    await setProfile(t, looking, { languages: ['en'] });
    const open = await pageAll(t, '/v1/shifts/open', looking.auth);
    expect(open.filter((id) => shifts.includes(id))).toEqual(soonestFirst);
  });

  it('ledger adjustments', async () => {
    const finance = await createStaff(t, 'finance');
    const agent = await registerAgent(t);
    const made = [];
    for (const [i, at] of sameMillisecond(3).entries()) {
      const res = await t.http
        .post('/v1/ledger/adjustments')
        .set(finance.auth)
        .send({
          reference: `burst-${agent.id}-${i}`,
          agentId: agent.id,
          amountMinor: 100 + i,
          currency: 'EUR',
          reason: 'goodwill',
        })
        .expect(201);
      // A decided adjustment's record is fixed (a trigger): moved back in time past it, as
      // only a test does.
      await t.db.transaction(async (em) => {
        await em.query('SET LOCAL session_replication_role = replica');
        await em.query('UPDATE ledger_adjustments SET created_at = $2 WHERE id = $1', [
          res.body.id,
          at,
        ]);
      });
      made.push(res.body.id as string);
    }
    expect(await pageAll(t, `/v1/ledger/adjustments?agentId=${agent.id}`, finance.auth)).toEqual(
      made,
    );
  });
});
