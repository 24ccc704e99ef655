/** The end-of-day summary: tickets by outcome, time to claim, earnings per agent, payouts. */
import { pct } from '../support';
import type { Schemas } from '../../src/client/client';
import { CompanyKey } from './cast';
import { PayoutOutcome } from './finance';
import { money, stamp } from './narrate';
import { AgentSession, Day } from './state';
import { WebhookReceiver } from './webhooks';

type Ticket = Schemas['TicketDto'];
type PayoutLine = Schemas['PayoutLineDto'];
type Cell = string | number;

/** A plain text table: numbers and amounts right-aligned, words left-aligned. */
function table(header: string[], rows: Cell[][]): void {
  const numeric = header.map((_, i) =>
    rows.every((r) => typeof r[i] === 'number' || /^-?[€\d]/.test(String(r[i]))),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Cell[]) =>
    '  ' +
    cells
      .map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function ticketOutcomes(day: Day, tickets: Map<string, Ticket>): void {
  const keys = [...day.companies.keys()];
  const rows: [string, (t: Ticket) => boolean][] = [
    ['escalated', () => true],
    ['resolved', (t) => t.status === 'resolved'],
    ['  first time, untouched', (t) => t.status === 'resolved' && plain(t)],
    ['  after an SLA breach', (t) => t.status === 'resolved' && t.slaBreachedAt !== null],
    ['    with skills relaxed', (t) => t.slaBreachedAt !== null && relaxed(t)],
    ['  after an agent released it', (t) => releasedBy(t, 'agent')],
    ['  after the handle timeout', (t) => releasedBy(t, 'handle_timeout')],
    ['  after a reopen', (t) => t.reopenCount > 0 && t.status === 'resolved'],
    ['reopened (earning clawed back)', (t) => t.reopenCount > 0],
    ['still open', (t) => t.status === 'open'],
    ['still claimed', (t) => t.status === 'claimed'],
  ];
  const all = [...tickets.values()];
  const of = (k: CompanyKey) => all.filter((t) => day.escalated.get(t.id) === k);
  table(
    ['tickets', ...keys.map((k) => day.companies.get(k)!.plan.name), 'total'],
    rows.map(([label, test]) => [
      label,
      ...keys.map((k) => of(k).filter(test).length),
      all.filter(test).length,
    ]),
  );
}

const plain = (t: Ticket) =>
  t.slaBreachedAt === null && t.reopenCount === 0 && (t.claims ?? []).length === 1;
const relaxed = (t: Ticket) => t.requiredSkills.some((s) => s.minLevel < s.requestedLevel);
const releasedBy = (t: Ticket, by: string) => (t.claims ?? []).some((c) => c.releasedBy === by);

export function timeToClaim(tickets: Map<string, Ticket>, shiftStartsAt: Date): void {
  const waits = (filter: (t: Ticket) => boolean) =>
    [...tickets.values()]
      .filter((t) => filter(t) && (t.claims ?? []).length > 0)
      .map((t) => Date.parse(t.claims![0].claimedAt) - Date.parse(t.createdAt));
  const before = (t: Ticket) => Date.parse(t.createdAt) < shiftStartsAt.getTime();
  const groups: [string, number[]][] = [
    ['all tickets', waits(() => true)],
    ['escalated before the shift', waits(before)],
    ['escalated during the shift', waits((t) => !before(t))],
  ];
  table(
    ['time to first claim', 'tickets', 'median', 'p90', 'max'],
    groups.map(([label, xs]) => [
      label,
      xs.length,
      seconds(pct(xs, 50)),
      seconds(pct(xs, 90)),
      seconds(xs.length ? Math.max(...xs) : 0),
    ]),
  );
}

export function earningsPerAgent(
  day: Day,
  tickets: Map<string, Ticket>,
  earnings: Map<string, Schemas['EarningsDto']>,
  lines: PayoutLine[],
): void {
  const resolvedBy = new Map<string, number>();
  for (const t of tickets.values()) {
    for (const c of t.claims ?? []) {
      if (c.status === 'resolved' && !c.reopenedAt) {
        resolvedBy.set(c.agentId, (resolvedBy.get(c.agentId) ?? 0) + 1);
      }
    }
  }
  const eur = (a: AgentSession) =>
    earnings.get(a.id)?.balances.find((b) => b.currency === 'EUR') ?? {
      pending: 0,
      available: 0,
      paid: 0,
    };
  const earned = (a: AgentSession) => {
    const b = eur(a);
    return b.pending + b.available + b.paid;
  };
  const payout = (a: AgentSession) => {
    const line = lines.find((l) => l.agentId === a.id);
    if (!line) return '-';
    return line.status === 'held' ? `held: ${line.heldReason}` : line.status;
  };
  const rows = [...day.agents]
    .sort((a, b) => earned(b) - earned(a))
    .map((a) => [
      a.plan.name,
      shiftTitle(day, a),
      resolvedBy.get(a.id) ?? 0,
      a.released,
      money(earned(a)),
      money(eur(a).paid),
      payout(a),
    ]);
  table(['agent', 'shift', 'resolved', 'released', 'earned', 'paid', 'payout line'], rows);
}

function shiftTitle(day: Day, agent: AgentSession): string {
  for (const company of day.companies.values()) {
    for (const shift of company.shifts.values()) {
      if (shift.id === agent.shiftId) return shift.title ?? '';
    }
  }
  return '-';
}

export function payouts(outcome: PayoutOutcome): void {
  const { run, reconciliation, trialBalanceZero } = outcome;
  const lines = run.lines ?? [];
  const held = new Map<string, PayoutLine[]>();
  for (const l of lines.filter((x) => x.status === 'held')) {
    held.set(l.heldReason ?? '?', [...(held.get(l.heldReason ?? '?') ?? []), l]);
  }
  // Paid lines count what their transfers carried; the others what was drafted.
  const sum = (xs: PayoutLine[]) =>
    money(xs.reduce((s, l) => s + (l.status === 'paid' ? l.transferMinor! : l.amountMinor), 0));
  const paid = lines.filter((l) => l.status === 'paid');
  const failed = lines.filter((l) => l.status === 'failed');
  table(
    ['payout run', 'lines', 'amount'],
    [
      ['paid', paid.length, sum(paid)],
      ...[...held.entries()].map(([reason, xs]) => [`held: ${reason}`, xs.length, sum(xs)]),
      ['failed', failed.length, sum(failed)],
      [`run status: ${run.status}`, lines.length, sum(lines)],
    ],
  );
  console.log(
    `  reconciliation: ${reconciliation ? `${reconciliation.counts.matched} matched, ${reconciliation.counts.amount_mismatch + reconciliation.counts.reversal_mismatch + reconciliation.counts.missing_at_stripe + reconciliation.counts.unexpected_at_stripe} off` : 'nothing paid'}` +
      `; trial balance ${trialBalanceZero ? 'sums to zero' : 'DOES NOT sum to zero'}`,
  );
}

export function companies(day: Day, statements: Map<CompanyKey, Schemas['StatementDto']>): void {
  table(
    ['company owes (resolved × rate + fee)', 'tickets', 'rate', 'platform fee', 'total'],
    [...day.companies.values()].map((c) => {
      const t = statements.get(c.plan.key)?.totals?.find((x) => x.currency === 'EUR');
      return [
        c.plan.name,
        t?.tickets ?? 0,
        money(t?.rateMinor ?? 0),
        money(t?.feeMinor ?? 0),
        money(t?.totalMinor ?? 0),
      ];
    }),
  );
}

export function webhooks(day: Day, receiver: WebhookReceiver): void {
  const types = [
    'ticket.claimed',
    'ticket.released',
    'ticket.resolved',
    'ticket.reopened',
    'ticket.sla_breached',
  ];
  table(
    ['webhooks received', ...types.map((t) => t.replace('ticket.', '')), 'total'],
    [...day.companies.values()].map((c) => {
      const counts = receiver.counts.get(c.plan.key);
      return [c.plan.name, ...types.map((t) => counts?.get(t) ?? 0), receiver.total(c.plan.key)];
    }),
  );
  console.log(
    `  signatures: ${receiver.badSignatures === 0 ? 'all valid' : `${receiver.badSignatures} INVALID`}; ` +
      `${receiver.duplicates} redelivered duplicates ignored`,
  );
}

export function footer(day: Day, runtimeMs: number): void {
  console.log(`\n  ${day.api.calls} API calls; demo runtime ${stamp(runtimeMs)} (mm:ss)`);
}
