import type { TestApp } from './test-app';
import type { SignedIn } from './factories';

export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);

/** A valid shift body: tomorrow-ish, 4 hours, 5 seats, no requirements unless given. */
export function shiftBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const start = inMinutes(24 * 60);
  return {
    title: 'Billing cover',
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 4 * 3_600_000).toISOString(),
    seats: 5,
    requiredSkills: [],
    languages: [],
    ratePerTicket: { amountMinor: 250, currency: 'EUR' },
    ...overrides,
  };
}

export async function postShift(
  t: TestApp,
  company: SignedIn,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await t.http.post('/v1/shifts').set(company.auth).send(shiftBody(overrides));
  if (res.status !== 201)
    throw new Error(`shift failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function setProfile(
  t: TestApp,
  agent: SignedIn,
  profile: { languages?: string[]; timeZone?: string; skills?: { skill: string; level: number }[] },
): Promise<void> {
  await t.http
    .put('/v1/agents/me/profile')
    .set(agent.auth)
    .send({
      displayName: 'Agent',
      timeZone: profile.timeZone ?? 'UTC',
      languages: profile.languages ?? [],
    })
    .expect(200);
  if (profile.skills) {
    await t.http
      .put('/v1/agents/me/skills')
      .set(agent.auth)
      .send({ skills: profile.skills })
      .expect(200);
  }
}

/** Moves a shift's window in the database, to reach check-in and timer moments without waiting. */
export async function moveShift(t: TestApp, shiftId: string, startsAt: Date, endsAt: Date) {
  await t.db.query(`UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1`, [
    shiftId,
    startsAt,
    endsAt,
  ]);
  // A check-in already made moves with the start, as if the time had passed (a check-in late by
  // five minutes stays five minutes late: a seat's half counts from it, checkOutCompletesAt).
  await t.db.query(
    `UPDATE shift_claims c SET period = tstzrange($2, $3, '[)'),
            check_in_deadline = $2::timestamptz + interval '10 minutes',
            checked_in_at = c.checked_in_at + ($2::timestamptz - lower(c.period))
      WHERE shift_id = $1`,
    [shiftId, startsAt, endsAt],
  );
}

/**
 * Ends every live or future shift of the company (moved into the past), so the next test's
 * agents are the only ones the company's tickets can go to.
 */
export async function endShiftsOf(t: TestApp, companyId: string | null | undefined) {
  await t.db.query(
    `UPDATE shifts SET ends_at = now() - interval '1 second', starts_at = now() -
              interval '2 hours' WHERE company_id = $1 AND ends_at > now()`,
    [companyId],
  );
}

/**
 * Brings a running shift's end (and its seats') to `minutesLeft` from now: past the close of
 * claims (SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END, 30 by default), where a check-out completes the
 * seat rather than leaving it early. Its start is brought back to an hour before that end when
 * it is later, so that more than half the seat's time has passed too (checkOutCompletesAt).
 */
export async function nearItsEnd(t: TestApp, shiftId: string, minutesLeft = 20) {
  // Seats held from the start move with it, never later (a seat's own time counts for its
  // check-out), and so does a check-in made by then (time has passed since: from a check-in
  // later than the seat's start the seat's time counts too); one taken after the start keeps
  // its claim's instant. Before the shift moves: its start is read here.
  await t.db.query(
    `UPDATE shift_claims c
        SET period = tstzrange(m.held_from, now() + make_interval(mins => $2), '[)'),
            checked_in_at = least(c.checked_in_at, m.held_from)
       FROM (SELECT h.id,
                    CASE WHEN lower(h.period) <= s.starts_at
                         THEN least(lower(h.period),
                                    now() + make_interval(mins => $2) - interval '1 hour')
                         ELSE lower(h.period) END AS held_from
               FROM shift_claims h JOIN shifts s ON s.id = h.shift_id
              WHERE h.shift_id = $1) m
      WHERE m.id = c.id`,
    [shiftId, minutesLeft],
  );
  await t.db.query(
    `UPDATE shifts SET ends_at = now() + make_interval(mins => $2),
            starts_at = least(starts_at, now() + make_interval(mins => $2) - interval '1 hour')
      WHERE id = $1`,
    [shiftId, minutesLeft],
  );
}
