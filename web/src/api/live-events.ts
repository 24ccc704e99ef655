import { notifications } from '@mantine/notifications';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { openEventStream, type LiveEvent, type StreamState } from './event-stream';
import { keys } from './query-keys';
import { refresh } from './refresh';
import { serverNow } from './server-clock';
import { clearDraftsOf } from '../ui/drafts';
import { leftName } from './held-subjects';

/**
 * Live updates (an agent's, or a company admin's): while mounted, the event stream is open and
 * each event invalidates the queries whose data it changed (they refetch if on screen). Returns
 * the stream's state for the header's indicator.
 */
export function useLiveEvents(role: string | undefined): StreamState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(
    () =>
      openEventStream(
        (event) =>
          role === 'agent'
            ? apply(queryClient, event)
            : role === 'finance'
              ? applyForFinance(queryClient, event)
              : applyForCompany(queryClient, event),
        setState,
        // The queries this role's events change, read so far (Resync): the first stream's, read
        // before it stood, or a reopened stream's, which has no cursor to replay from. Pages
        // opened later read after the stream stands, and their events come on it. Nothing else
        // is read again: no event changes it, so no event was missed for it.
        () => {
          for (const queryKey of LIVE[liveRole(role)]) {
            void refresh(queryClient, queryKey);
          }
        },
      ),
    [queryClient, role],
  );
  return state;
}

type LiveRole = 'agent' | 'finance' | 'company';
const liveRole = (role: string | undefined): LiveRole =>
  role === 'agent' || role === 'finance' ? role : 'company';

/**
 * The queries each role's events invalidate (below), by key prefix: what a resync reads again.
 * `['tickets']` is every ticket's conversation (keys.messages).
 */
const LIVE: Record<LiveRole, readonly (readonly unknown[])[]> = {
  agent: [
    keys.offers,
    keys.availability,
    keys.seats,
    keys.openShifts,
    keys.earnings,
    keys.myTickets,
    keys.queue,
    ['tickets'],
  ],
  finance: [keys.payoutRuns, keys.ledger],
  company: [keys.companyTickets, keys.companyResults, ['tickets']],
};

/**
 * Finance's stream: a run drafted, approved, cancelled, executing, completed or with a line
 * failed for good changes the runs list and that run's page (progress in between is polled).
 */
function applyForFinance(queryClient: QueryClient, event: LiveEvent): void {
  if (!event.type.startsWith('payout_run.')) return;
  // A paying run's events come in bursts (a line failed, each): a read under way lands first.
  void refresh(queryClient, keys.payoutRuns, undefined, { waitForReads: true });
  if (event.type === 'payout_run.completed') {
    void refresh(queryClient, keys.ledger);
  }
}

/** The ticket events that change what a company's resolved work adds up to. */
const RESULT_EVENTS = new Set([
  'ticket.resolved',
  'ticket.reopened',
  'ticket.withdrawn',
  'ticket.transferred',
]);
/**
 * How long after such an event its results (and what it owes) are read again: the statement
 * reads the earning, which the ledger books by a job just after the resolution (no event tells
 * the company when), and read at once it came before it. Events within it share one read.
 */
const RESULTS_AFTER_MS = 3_000;
const resultsDue = new WeakMap<QueryClient, ReturnType<typeof setTimeout>>();

function refreshResultsSoon(queryClient: QueryClient): void {
  if (resultsDue.has(queryClient)) return;
  resultsDue.set(
    queryClient,
    setTimeout(() => {
      resultsDue.delete(queryClient);
      void refresh(queryClient, keys.companyResults);
      owedAgain(queryClient);
      // Once more a little later, for a booking the ledger's job made after the first read
      // (a busy queue): the statement's line and what is owed; one such read for a burst of
      // events, as the first.
      if (!owedDue.has(queryClient)) {
        owedDue.set(
          queryClient,
          setTimeout(() => {
            owedDue.delete(queryClient);
            // The statement alone (not the month's quality sums), after a read under way lands.
            void refresh(queryClient, [...keys.companyResults, 'statement'], undefined, {
              waitForReads: true,
            });
            owedAgain(queryClient);
          }, OWED_AGAIN_MS),
        );
      }
    }, RESULTS_AFTER_MS),
  );
}

const OWED_AGAIN_MS = 7_000;
const owedDue = new WeakMap<QueryClient, ReturnType<typeof setTimeout>>();

/**
 * What the company owes moves with the same bookings: its billing summary is read again (only a
 * billing page on screen reads it), not its invoices (a resolution changes none) nor the rest
 * under the key. Each read computes the credit standing under the company's lock.
 */
function owedAgain(queryClient: QueryClient): void {
  // A read under way lands first (on a slow link, cancelling it for each burst left none).
  void refresh(queryClient, keys.billing, undefined, { exact: true, waitForReads: true });
}

/**
 * A company's stream: every ticket event (escalated, claimed, message, resolved, …) changes
 * its queue, and a ticket's page with its conversation; only a few change its statement and
 * handoff quality (read again on each message, they cost a month's sums per event and tab).
 */
function applyForCompany(queryClient: QueryClient, event: LiveEvent): void {
  if (!event.type.startsWith('ticket.')) return;
  if (conversationOnly(queryClient, event)) return;
  void refresh(queryClient, keys.companyTickets);
  if (RESULT_EVENTS.has(event.type)) refreshResultsSoon(queryClient);
  const ticketId = event.data.ticketId;
  if (typeof ticketId === 'string') {
    void refresh(queryClient, keys.messages(ticketId));
  }
}

/**
 * A message changes the ticket's conversation only, for a company: nothing its queue, ticket
 * page or statement shows. Every message re-read the whole queue (each page loaded) and the
 * ticket: a busy conversation kept cancelling those re-reads before they ended, and "Load more"
 * waited on them.
 */
function conversationOnly(queryClient: QueryClient, event: LiveEvent): boolean {
  return event.type === 'ticket.message'
    ? refreshConversation(queryClient, event)
    : noteOnly(queryClient, event);
}

/**
 * An internal note (`ticket.note`, for the company's admins and the writer's other tabs, never
 * its bot) changes the ticket's conversation only: not the queue, the lists or the statement.
 */
function noteOnly(queryClient: QueryClient, event: LiveEvent): boolean {
  return event.type === 'ticket.note' && refreshConversation(queryClient, event);
}

function refreshConversation(queryClient: QueryClient, event: LiveEvent): true {
  const ticketId = event.data.ticketId;
  if (typeof ticketId === 'string') void refresh(queryClient, keys.messages(ticketId));
  return true;
}

function apply(queryClient: QueryClient, event: LiveEvent): void {
  const data = event.data;
  const ticketId = typeof data.ticketId === 'string' ? data.ticketId : undefined;
  if (event.type.startsWith('offer.')) {
    // offer.created, offer.expired, offer.withdrawn: the list answers each pending offer with its ticket and pay,
    // so the desk shows a live offer just as it does after a reload.
    void refresh(queryClient, keys.offers);
    // An offer comes only on a live shift: a desk that last saw "not checked in" (the shift had
    // not started yet) reads the seat again.
    void refresh(queryClient, keys.availability);
    return;
  }
  if (event.type === 'agent.away') {
    void refresh(queryClient, keys.availability);
    notifications.show({
      color: 'yellow',
      title: 'You were set away',
      message:
        'Three offers in a row ran out unanswered. Set yourself available to get offers again.',
    });
    return;
  }
  if (event.type === 'shift.seat_given') {
    // A seat the waitlist gave: the agent did not pick this moment, so it must not pass unseen.
    void refresh(queryClient, keys.seats);
    void refresh(queryClient, keys.openShifts);
    const name = typeof data.title === 'string' && data.title ? `“${data.title}”` : 'A shift';
    const minutes = Math.max(
      0,
      Math.round((Date.parse(String(data.checkInDeadline)) - serverNow()) / 60_000),
    );
    notifications.show({
      color: 'blue',
      autoClose: false,
      title: 'A seat from the waitlist is yours',
      message:
        data.givenLate === true
          ? `${name}: check in within ${minutes} minute${minutes === 1 ? '' : 's'} (My seats). ` +
            'If you cannot, give it back: a seat given this late never counts against your ' +
            'reliability.'
          : `${name}: see it in My seats. Check in when it opens, or give it back in time if ` +
            'you cannot work it.',
    });
    return;
  }
  if (event.type === 'shift.waitlist_cleared') {
    // The company changed the terms (hours, rate, skills…) of a shift the agent waited for.
    void refresh(queryClient, keys.openShifts);
    const name = typeof data.title === 'string' && data.title ? `“${data.title}”` : 'A shift';
    notifications.show({
      color: 'orange',
      autoClose: false,
      title: 'Your place in line is gone',
      message:
        `${name}, which you were waiting for, was changed by the company, so its waitlist was ` +
        'emptied. See it in Open shifts and join again if it still suits you.',
    });
    return;
  }
  if (event.type === 'agent.suspended' || event.type === 'agent.reinstated') {
    // An admin's decision: the seats, offers and tickets went with a suspension; shifts open
    // again with a reinstatement. Every page of the agent's work reads what it is now.
    for (const key of [keys.profile, keys.seats, keys.openShifts, keys.availability, keys.offers]) {
      void refresh(queryClient, key);
    }
    const reason = typeof data.reason === 'string' && data.reason ? ` (“${data.reason}”)` : '';
    notifications.show(
      event.type === 'agent.suspended'
        ? {
            color: 'red',
            autoClose: false,
            title: 'Your account was suspended',
            message:
              `An admin suspended your account${reason}: your seats, offers and tickets in hand ` +
              'have ended, and no new work comes until an admin reinstates it.',
          }
        : {
            color: 'green',
            autoClose: false,
            title: 'Your account was reinstated',
            message: 'You can claim seats and take tickets again.',
          },
    );
    return;
  }
  if (event.type === 'certification.revoked') {
    // The company ended the agent's seats and places in line on its certified-only shifts.
    void refresh(queryClient, keys.seats);
    void refresh(queryClient, keys.openShifts);
    void refresh(queryClient, keys.availability);
    const company = typeof data.companyName === 'string' ? data.companyName : 'A company';
    notifications.show({
      color: 'orange',
      autoClose: false,
      title: 'A certification was revoked',
      message:
        `${company} revoked your certification. Your seats and places in line on its shifts ` +
        'that require it have ended (time already worked counts), with no mark on your record.',
    });
    return;
  }
  if (event.type === 'shift.cancelled') {
    // The company cancelled a shift the agent held a seat on or waited for: not to pass unseen.
    void refresh(queryClient, keys.seats);
    void refresh(queryClient, keys.openShifts);
    void refresh(queryClient, keys.availability);
    const name = typeof data.title === 'string' && data.title ? `“${data.title}”` : 'A shift';
    const why = typeof data.reason === 'string' && data.reason ? ` (“${data.reason}”)` : '';
    notifications.show({
      color: 'orange',
      autoClose: false,
      title: 'A shift was cancelled',
      message:
        data.seat === 'waitlist'
          ? `${name}, which you were waiting for, was cancelled by the company${why}.`
          : data.seat === 'ended'
            ? `${name} was ended early by the company${why}: the time you worked counts.`
            : `${name} was cancelled by the company${why}: your seat is released, with no mark ` +
              'on your record.',
    });
    return;
  }
  if (event.type.startsWith('earning.')) {
    // Booked, available or reversed (a reopen): the ledger's job has moved the balances. The
    // ticket's own event comes before that job, so it is not the moment to read them again.
    void refresh(queryClient, keys.earnings);
    return;
  }
  if (!event.type.startsWith('ticket.')) return;
  if (noteOnly(queryClient, event)) return;
  if (event.type === 'ticket.withdrawn' && ticketId) withdrawn(queryClient, ticketId, data);
  if (event.type === 'ticket.released' && ticketId) takenBack(queryClient, ticketId, data);
  void refresh(queryClient, keys.myTickets);
  void refresh(queryClient, keys.queue);
  if (ticketId && event.type !== 'ticket.withdrawn') {
    void refresh(queryClient, keys.messages(ticketId));
  }
}

/** Why a ticket the agent held went back to the queue without the agent giving it back. */
const TAKEN_BACK: Record<string, string> = {
  handle_timeout:
    'nothing was done on it for the handling time (a message counts, and so does having it open on screen)',
  // Also a check-out, a cancellation, a revoked seat: the seat ended, tickets in hand go after.
  shift_end: 'your seat on its shift ended (a check-out, the shift’s end or a cancellation)',
  suspension: 'your account was suspended',
};

/**
 * A ticket the agent held went back to the queue by a rule, not by the agent's own release or
 * transfer: it leaves the desk at once, with a notice saying why (the ticket's page only said
 * it was no longer the agent's, and a message being written there was lost without a word).
 */
function takenBack(queryClient: QueryClient, ticketId: string, data: Record<string, unknown>) {
  const inner = (data.data ?? {}) as Record<string, unknown>;
  const why = TAKEN_BACK[String(inner.releasedBy)];
  if (!why) return;
  const name = leftName(queryClient, ticketId, data);
  clearDraftsOf(ticketId);
  notifications.show({
    color: 'orange',
    autoClose: false,
    title: 'Ticket taken back',
    message: `Ticket ${name} went back to the queue: ${why}.`,
  });
}

/** The customer left: the ticket leaves the desk at once, with a notice saying why. */
function withdrawn(
  queryClient: QueryClient,
  ticketId: string,
  data: Record<string, unknown>,
): void {
  const name = leftName(queryClient, ticketId, data);
  queryClient.removeQueries({ queryKey: keys.messages(ticketId) });
  clearDraftsOf(ticketId);
  const inner = (data.data ?? {}) as Record<string, unknown>;
  notifications.show({
    color: 'orange',
    autoClose: false,
    title: 'Ticket withdrawn',
    message:
      `The customer left: ticket ${name} was withdrawn.` +
      (inner.paid === true ? ' You had written to the customer, so it is paid as resolved.' : ''),
  });
}
