import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TicketEvent } from '../src/modules/jobs/job-registry';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { claimAndTransferAway, withCandidatesHeld } from './support/candidates-gate';

type ValueType = 'uuid' | 'string' | 'instant' | 'object';

/**
 * The payload of a `ticket.claimed` outbox row must be a TicketEvent
 * (src/modules/jobs/job-registry.ts): this list is written from that interface, one entry per
 * key with the type of its value. `Record<keyof TicketEvent, …>` makes the compiler refuse it
 * when the interface gains or loses a key, so the test follows the type. agentId and claimId
 * are `string | null` in the type; a claim always has both, so here they are uuids.
 */
const TICKET_EVENT_KEYS: Record<keyof TicketEvent, ValueType> = {
  eventId: 'uuid',
  ticketId: 'uuid',
  companyId: 'uuid',
  externalId: 'string',
  agentId: 'uuid',
  claimId: 'uuid',
  occurredAt: 'instant',
  data: 'object',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// What Date.prototype.toISOString writes, the format webhooks have always carried.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function valueType(v: unknown): string {
  if (typeof v === 'string') {
    if (UUID.test(v)) return 'uuid';
    if (ISO_INSTANT.test(v)) return 'instant';
    return 'string';
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return 'object';
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Each key of a payload with the type of its value, keys sorted. */
const shapeOf = (payload: Record<string, unknown>) =>
  Object.fromEntries(
    Object.keys(payload)
      .sort()
      .map((k) => [k, valueType(payload[k])]),
  );

const expectedShape = Object.fromEntries(
  Object.entries(TICKET_EVENT_KEYS).sort(([a], [b]) => (a < b ? -1 : 1)),
);

describe('one claim write (write_ticket_claim) and one resolve (resolve_ticket)', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp();
    co = await registerCompany(t, 'Claims');
    key = await createApiKey(t, co);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The outbox rows a claim wrote, by job name. */
  async function claimRows(claimId: string) {
    const rows: { job_name: string; payload: Record<string, unknown>; run_at: Date }[] =
      await t.db.query(
        `SELECT job_name, payload, run_at FROM outbox
          WHERE job_name IN ('ticket.claimed', 'ticket.handle-timeout')
            AND payload->>'claimId' = $1 ORDER BY id`,
        [claimId],
      );
    const [claim]: { claimed_at: Date; shift_id: string; status: string }[] = await t.db.query(
      'SELECT claimed_at, shift_id, status FROM ticket_claims WHERE id = $1',
      [claimId],
    );
    return { rows, claim };
  }

  /** A TicketEvent of this company's ticket, as its outbox row must hold it. */
  const eventOf = (
    ticket: { id: string } & Record<string, unknown>,
    agentId: string,
    claimId: string,
    data: unknown,
  ) => ({
    eventId: expect.any(String),
    ticketId: ticket.id,
    companyId: co.companyId,
    externalId: ticket.externalId,
    agentId,
    claimId,
    occurredAt: expect.any(String),
    data,
  });

  /** One agent live on a new shift of the company's, and a new escalation. */
  async function agentAndTicket() {
    const {
      shiftId,
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    return { shiftId, agent, ticket: await escalate(t, key) };
  }

  it('writes the same claim, event and timer by id and by claim-next', async () => {
    const { shiftId, agent, ticket: first } = await agentAndTicket();
    const byId = await t.http.post(`/v1/tickets/${first.id}/claim`).set(agent.auth).expect(200);
    const second = await escalate(t, key);
    const next = await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(200);
    expect(next.body.id).toBe(second.id);

    const payloads: Record<string, unknown>[] = [];
    for (const [res, ticket] of [
      [byId, first],
      [next, second],
    ] as const) {
      const { rows, claim } = await claimRows(res.body.claimId);
      expect(rows.map((r) => r.job_name)).toEqual(['ticket.claimed', 'ticket.handle-timeout']);
      const [event, timer] = rows;
      // Exactly the keys of TicketEvent, each with the type of its value.
      expect(shapeOf(event.payload)).toEqual(expectedShape);
      expect(event.payload).toEqual(eventOf(ticket, agent.id, res.body.claimId, {}));
      expect(timer.payload).toEqual({ claimId: res.body.claimId });
      expect(timer.run_at.getTime() - claim.claimed_at.getTime()).toBe(
        t.env.HANDLE_TIMEOUT_MINUTES * 60_000,
      );
      expect(claim).toMatchObject({ shift_id: shiftId, status: 'active' });
      expect(res.body).toMatchObject({
        status: 'claimed',
        claimedBy: agent.id,
        claimedAt: claim.claimed_at.toISOString(),
        claims: [
          expect.objectContaining({
            claimId: res.body.claimId,
            agentId: agent.id,
            status: 'active',
          }),
        ],
      });
      payloads.push(event.payload);
    }
    // Both paths: the same event shape, the same answer shape.
    expect(shapeOf(payloads[0])).toEqual(shapeOf(payloads[1]));
    expect(Object.keys(byId.body).sort()).toEqual(Object.keys(next.body).sort());
  });

  it('resolves in one call: the claim, the ticket, the event and its ledger job', async () => {
    const { shiftId, agent, ticket } = await agentAndTicket();
    const claimed = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const res = await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(agent.auth)
      .send({
        resolutionSummary: ' Refund sent ',
        handoff: { complete: false, missing: [' Order number', 'order number'] },
      })
      .expect(200);
    const rows: { job_name: string; payload: Record<string, unknown> }[] = await t.db.query(
      `SELECT job_name, payload FROM outbox
        WHERE job_name IN ('ticket.resolved', 'ledger.ticket-event')
          AND (payload->>'claimId' = $1 OR payload->'event'->>'claimId' = $1) ORDER BY id`,
      [claimed.body.claimId],
    );
    expect(rows.map((r) => r.job_name)).toEqual(['ticket.resolved', 'ledger.ticket-event']);
    const [event, ledger] = rows;
    expect(shapeOf(event.payload)).toEqual(expectedShape);
    // No surge on this shift: the pay is its rate.
    const [pay]: { amountMinor: number; currency: string }[] = await t.db.query(
      `SELECT rate_amount_minor::int AS "amountMinor", rate_currency AS currency
         FROM shifts WHERE id = $1`,
      [shiftId],
    );
    expect(event.payload).toEqual(
      eventOf(ticket, agent.id, claimed.body.claimId, { resolutionSummary: 'Refund sent', pay }),
    );
    expect(ledger.payload).toEqual({ type: 'ticket.resolved', event: event.payload });
    // The events store got its copy in the same transaction (trigger on outbox).
    const [stored]: { data: unknown }[] = await t.db.query(
      `SELECT data FROM events WHERE type = 'ticket.resolved' AND data->>'claimId' = $1`,
      [claimed.body.claimId],
    );
    expect(stored.data).toEqual(event.payload);
    const [claim] = await t.db.query(
      `SELECT status, resolved_at, resolution_summary, rate_amount_minor::int AS amount,
              rate_currency, handoff_complete, handoff_missing
         FROM ticket_claims WHERE id = $1`,
      [claimed.body.claimId],
    );
    expect(claim).toMatchObject({
      status: 'resolved',
      resolution_summary: 'Refund sent',
      amount: pay.amountMinor,
      rate_currency: pay.currency,
      handoff_complete: false,
      handoff_missing: ['order number'],
    });
    expect(res.body).toMatchObject({
      status: 'resolved',
      claimedBy: null,
      resolvedAt: claim.resolved_at.toISOString(),
      claims: [
        expect.objectContaining({
          claimId: claimed.body.claimId,
          status: 'resolved',
          resolutionSummary: 'Refund sent',
          pay,
        }),
      ],
    });
  });

  it("still resolves through the previous release's six-parameter call (a rolling deploy), with no fee fixed", async () => {
    const { agent, ticket } = await agentAndTicket();
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const [row] = await t.db.query(
      `SELECT outcome FROM resolve_ticket($1, $2, 'Refunded', NULL, NULL, NULL)`,
      [ticket.id, agent.id],
    );
    expect(row.outcome).toBe('resolved');
    const [claim] = await t.db.query(
      `SELECT status, fee_bps FROM ticket_claims WHERE ticket_id = $1`,
      [ticket.id],
    );
    // The ledger books such a claim at the configured fee (test/ledger.e2e-spec.ts).
    expect(claim).toEqual({ status: 'resolved', fee_bps: null });
  });

  it('passes over a ticket transferred to skills the agent lacks between its candidates and its pick', async () => {
    const shop = await registerCompany(t, 'Transfers');
    const {
      agents: [late, first],
    } = await liveAgents(t, shop.auth, 2); // refunds at level 3
    const ticket = await escalate(t, await createApiKey(t, shop)); // refunds ≥ 2
    // `late`'s claim-next waits between its candidates (the ticket, open) and its pick while
    // `first` claims the ticket and transfers it.
    const { started } = await withCandidatesHeld(
      t,
      late.id,
      () => t.http.post('/v1/agents/me/tickets/claim-next').set(late.auth).then(),
      () => claimAndTransferAway(t, first, ticket.id),
    );
    expect((await started).status).toBe(204);
    const [row] = await t.db.query('SELECT status, claimed_by FROM tickets WHERE id = $1', [
      ticket.id,
    ]);
    expect(row).toEqual({ status: 'open', claimed_by: null });
  });

  it('has one text of the claim write: only write_ticket_claim inserts claims', async () => {
    const writers: { proname: string }[] = await t.db.query(
      `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prokind = 'f'
          AND pg_get_functiondef(p.oid) ~* 'INSERT\\s+INTO\\s+ticket_claims'`,
    );
    expect(writers.map((w) => w.proname)).toEqual(['write_ticket_claim']);
    const [{ def }]: { def: string }[] = await t.db.query(
      `SELECT pg_get_functiondef('claim_next_ticket'::regproc) AS def`,
    );
    expect(def).toMatch(/write_ticket_claim\(/);

    const dir = join(__dirname, '..', 'src', 'modules', 'tickets');
    const inserting = readdirSync(dir, { withFileTypes: true })
      .filter((f) => f.isFile())
      .filter((f) => /INSERT\s+INTO\s+ticket_claims/i.test(readFileSync(join(dir, f.name), 'utf8')))
      .map((f) => f.name);
    expect(inserting).toEqual([]);
  });
});
