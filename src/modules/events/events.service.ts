import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../../common/auth/actor';
import {
  CLAIM_CONVERSATIONS,
  type ClaimConversations,
} from '../../common/conversation/claim-conversations';
import { DomainError } from '../../common/errors/domain-error';
import { EVENT_TYPE_PATTERN, EventPageDto, ListEventsQueryDto } from './event.dto';
import { toEventDto } from './event.mapper';
import { EventRow, EventScope, EventsRepository } from './events.repository';

/** Who may see an event: its company (admins and bot keys), one agent, finance staff. */
export interface EventAudience {
  companyId?: string | null;
  agentId?: string | null;
  finance?: boolean;
  /**
   * `companyId`'s admins only, not its bot keys (which relay to the customer): stored under
   * `admins_company_id` (the migration EventsForCompanyAdmins says why).
   */
  adminsOnly?: boolean;
}

export interface NewEvent extends EventAudience {
  /** A type from the event registry (e.g. `ticket.message`, `offer.created`). */
  type: string;
  /** The event's JSON payload, in the API's vocabulary. */
  data: Record<string, unknown>;
}

/** A ticket conversation's events: an agent reads them only while the claim is its to read. */
const CONVERSATION_TYPES = new Set(['ticket.message', 'ticket.note']);
const claimOf = (row: EventRow) =>
  CONVERSATION_TYPES.has(row.type) && typeof row.data.claimId === 'string'
    ? row.data.claimId
    : null;

// Long enough for the writer's transaction to have committed in the usual case; a later commit
// is found by the sequencer's polling (EVENTS_POLL_MS).
const NOTIFY_DELAY_MS = 20;

/** The events one actor may see; agents their own, companies (admins, bots) theirs, finance its. */
export function scopeOf(actor: Actor): EventScope {
  if (actor.kind === 'bot') return { companyId: actor.companyId, bot: true };
  if (actor.role === 'agent') return { agentId: actor.userId };
  if (actor.role === 'company_admin' && actor.companyId) return { companyId: actor.companyId };
  if (actor.role === 'finance') return { finance: true };
  throw new DomainError('FORBIDDEN', 'Your role has no events');
}

/** Whether a reader of `scope` may see the event. */
export function inScope(scope: EventScope, row: EventRow): boolean {
  if ('companyId' in scope) {
    return (
      row.company_id === scope.companyId ||
      (!scope.bot && row.admins_company_id === scope.companyId)
    );
  }
  if ('agentId' in scope) return row.agent_id === scope.agentId;
  return row.finance;
}

/**
 * The events store (issue 15): every domain event is a row written in the transaction that
 * changes state, kept EVENTS_RETENTION_DAYS, listed by GET /v1/events and streamed by
 * GET /v1/events/stream. Rows get their public id from EventSequencer after they commit.
 */
@Injectable()
export class EventsService implements OnModuleDestroy {
  private notifyTimer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rows: EventsRepository,
    @Inject(CLAIM_CONVERSATIONS) private readonly conversations: ClaimConversations,
  ) {}

  /** Records an event in the caller's transaction; it becomes visible once that commits. */
  async record(em: EntityManager, event: NewEvent): Promise<void> {
    if (!EVENT_TYPE_PATTERN.test(event.type)) throw new Error(`Bad event type ${event.type}`);
    await this.rows.insert(
      em,
      event.type,
      event.adminsOnly ? null : (event.companyId ?? null),
      event.agentId ?? null,
      event.finance ?? false,
      event.adminsOnly ? (event.companyId ?? null) : null,
      JSON.stringify(event.data),
    );
    this.poke();
  }

  /**
   * Wakes the sequencers soon after an event was written, outside the writer's transaction (a
   * NOTIFY inside it would serialise every event-writing commit on one lock): at most one NOTIFY
   * per NOTIFY_DELAY_MS per process. Ticket events (copied from outbox rows by a trigger) wake
   * them through the outbox's own NOTIFY, which the sequencers listen to as well.
   */
  poke(): void {
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.rows.notifySequencers(this.db.manager).catch(() => undefined);
    }, NOTIFY_DELAY_MS);
    this.notifyTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
  }

  /**
   * For /metrics: the age of the oldest committed event the sequencer has not positioned yet
   * (readers cannot see it until then). Grows when no sequencer runs, or when a long transaction
   * holds every later commit back (positions wait for older transactions to end).
   */
  unpositionedAgeSeconds(): Promise<number> {
    return this.rows.unpositionedAgeSeconds(this.db.manager);
  }

  /** The caller's events after `after`, oldest first. */
  async list(actor: Actor, query: ListEventsQueryDto): Promise<EventPageDto> {
    const scope = scopeOf(actor);
    const rows = await this.rows.pageOf(
      this.db.manager,
      scope,
      query.after,
      null,
      query.types?.length ? query.types : null,
      query.limit + 1,
    );
    const read = rows.slice(0, query.limit);
    const items = (await this.readableOf(scope, read)).map(toEventDto);
    return {
      items,
      // Past every row read, shown or not: a page may hold fewer than `limit` then.
      nextAfter:
        read.length > 0
          ? Number(read[read.length - 1].id)
          : await this.notPast(this.db.manager, query.after),
      hasMore: rows.length > query.limit,
    };
  }

  /**
   * `after`, or the last event there is when `after` is past it: an id this database never gave
   * (restored from a backup, or a client's mistake), trusted, kept its reader from every event
   * until the ids passed it. Read only when nothing came after `after`.
   */
  async notPast(em: EntityManager, after: number): Promise<number> {
    return after > 0 ? Math.min(after, await this.rows.maxPosition(em)) : after;
  }

  /**
   * The rows a reader may still see, of those its scope selects. An agent's copy of a ticket
   * conversation (a customer's message relayed to it, its own message or note) was written
   * under it while it held the ticket; once the claim is not its to read (released, lost to a
   * transfer, a timeout, a withdrawal or a suspension) neither the messages endpoint nor the
   * events show it: the conversation went on without it. Live delivery needs no check: those
   * rows are written only while the claim is held.
   */
  async readableOf(scope: EventScope, rows: EventRow[]): Promise<EventRow[]> {
    if (!('agentId' in scope)) return rows;
    if (!rows.some((r) => CONVERSATION_TYPES.has(r.type))) return rows;
    const claimIds = rows.map(claimOf).filter((id): id is string => id !== null);
    const readable = await this.conversations.readableBy(this.db.manager, scope.agentId, claimIds);
    return rows.filter((r) => {
      if (!CONVERSATION_TYPES.has(r.type)) return true;
      const claimId = claimOf(r);
      return claimId !== null && readable.has(claimId);
    });
  }
}
