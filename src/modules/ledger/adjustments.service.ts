import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { inState } from '../../common/errors/in-state';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { perCurrency } from '../../config/per-currency';
import { Env } from '../../config/env.validation';
import { AgentsService } from '../agents/agents.service';
import { OutboxService } from '../outbox/outbox.service';
import { AdjustmentDto, AdjustmentsQueryDto, CreateAdjustmentDto } from './adjustment.dto';
import { AdjustmentRow, AdjustmentsRepository } from './adjustments.repository';
import { AgentIdentities } from './agent-identities.service';
import { toAdjustmentDto } from './ledger.mapper';
import { LedgerService } from './ledger.service';

/** A pending adjustment nobody decided on lapses after this long. */
export const ADJUSTMENT_PENDING_DAYS = 7;
/**
 * The approval threshold bounds what one finance user moves to or from one agent on their own
 * word over this many hours, not each adjustment alone: otherwise several adjustments just
 * under it would move any amount without a second user.
 */
export const SELF_POSTED_WINDOW_HOURS = 24;

/**
 * Finance's manual corrections of an agent's available balance. Each carries a business
 * reference unique forever, so the same correction can never post twice whoever sends it, and
 * large ones need a second finance user (maker-checker) before any money moves: one whose
 * amount, with what its maker moved for the same agent alone in the last day, passes the threshold.
 */
@Injectable()
export class AdjustmentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly adjustments: AdjustmentsRepository,
    private readonly ledger: LedgerService,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<Env, true>,
    private readonly agents: AgentsService,
    private readonly identities: AgentIdentities,
  ) {}

  /** Creates (201) or, for a reference already used with the same body, answers it (200). */
  async create(
    actor: Actor,
    input: CreateAdjustmentDto,
  ): Promise<{ created: boolean; adjustment: AdjustmentDto }> {
    const { userId } = requireUser(actor, 'finance');
    const reason = input.reason.trim();
    const threshold = perCurrency(
      this.config.get('ADJUSTMENT_APPROVAL_MINOR', { infer: true }),
      this.config.get('ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY', { infer: true }),
    )(input.currency);
    const { created, row } = await this.db.transaction(async (em) => {
      if (!(await this.agents.exists(em, input.agentId))) throw DomainError.notFound('Agent');
      // Written pending; a small one is posted below in the same transaction. The unique
      // reference decides between two concurrent requests: the loser reads the winner's.
      const row = await this.adjustments.insertPending(em, {
        reference: input.reference,
        agentId: input.agentId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        reason,
        createdBy: userId,
        pendingDays: ADJUSTMENT_PENDING_DAYS,
      });
      if (!row) return { created: false, row: await this.replay(em, input, reason) };
      const alone = await this.adjustments.lockAndSumPostedAlone(
        em,
        userId,
        input.agentId,
        input.currency,
        SELF_POSTED_WINDOW_HOURS,
      );
      if (alone + Math.abs(input.amountMinor) > threshold) {
        await this.outbox.enqueue(
          em,
          'ledger.adjustment-expire',
          { adjustmentId: row.id },
          { runAt: row.expires_at! },
        );
        return { created: true, row };
      }
      return { created: true, row: await this.post(em, row, null, null) };
    });
    return { created, adjustment: await this.present(row) };
  }

  async list(actor: Actor, query: AdjustmentsQueryDto): Promise<Page<AdjustmentDto>> {
    requireUser(actor, 'finance');
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows = await this.adjustments.page(this.db.manager, {
      agentId: query.agentId ?? null,
      status: query.status ?? null,
      after,
      limit: query.limit + 1,
    });
    const who = await this.identities.of(
      this.db.manager,
      rows.map((r) => r.agent_id),
    );
    return toPage(
      rows,
      query.limit,
      (r) => toAdjustmentDto(r, who(r.agent_id)),
      (r) => [r.cursor_at, r.id],
    );
  }

  async get(actor: Actor, id: string): Promise<AdjustmentDto> {
    requireUser(actor, 'finance');
    return this.present(await this.load(this.db.manager, id));
  }

  /** A second finance user approves a pending adjustment: the money moves now. */
  async approve(actor: Actor, id: string, note?: string): Promise<AdjustmentDto> {
    const { userId } = requireUser(actor, 'finance');
    const row = await this.db.transaction(async (em) => {
      const pending = await this.pendingForDecision(em, id, userId, 'approve');
      return this.post(em, pending, userId, note?.trim() ?? null);
    });
    return this.present(row);
  }

  async reject(actor: Actor, id: string, note?: string): Promise<AdjustmentDto> {
    const { userId } = requireUser(actor, 'finance');
    const row = await this.db.transaction(async (em) => {
      await this.pendingForDecision(em, id, userId, 'reject');
      return this.decide(em, id, 'rejected', userId, note?.trim() ?? null);
    });
    return this.present(row);
  }

  /** Its creator withdraws a pending adjustment. */
  async cancel(actor: Actor, id: string): Promise<AdjustmentDto> {
    const { userId } = requireUser(actor, 'finance');
    const row = await this.db.transaction(async (em) => {
      const pending = await this.pending(em, id, 'cancel');
      if (pending.created_by !== userId) {
        throw new DomainError('FORBIDDEN', 'Only the finance user who made it may cancel it');
      }
      return this.decide(em, id, 'cancelled', userId, null);
    });
    return this.present(row);
  }

  /** The expiry job: a pending adjustment past its time lapses (early firings re-arm). */
  async expire(adjustmentId: string): Promise<{ expired: boolean }> {
    return this.db.transaction(async (em) => {
      const row = await this.adjustments.lockWithDue(em, adjustmentId);
      if (!row || row.status !== 'pending') return { expired: false };
      if (!row.due) {
        await this.outbox.enqueue(
          em,
          'ledger.adjustment-expire',
          { adjustmentId },
          { runAt: row.expires_at! },
        );
        return { expired: false };
      }
      await this.decide(em, adjustmentId, 'expired', null, null);
      return { expired: true };
    });
  }

  /** The adjustment as finance sees it: with the agent's name and email (read after commit). */
  private async present(row: AdjustmentRow): Promise<AdjustmentDto> {
    const who = await this.identities.of(this.db.manager, [row.agent_id]);
    return toAdjustmentDto(row, who(row.agent_id));
  }

  /** Books the adjustment (idempotent on its id) and marks it posted. */
  private async post(
    em: EntityManager,
    row: AdjustmentRow,
    decidedBy: string | null,
    note: string | null,
  ): Promise<AdjustmentRow> {
    const amount = Number(row.amount_minor);
    const { entryId } = await this.ledger.post(em, {
      kind: 'adjustment',
      idempotencyKey: `adjustment:${row.id}`,
      currency: row.currency,
      agentId: row.agent_id,
      memo: row.reason,
      createdBy: row.created_by,
      lines: [
        { account: 'agent_available', ownerId: row.agent_id, amountMinor: -amount },
        { account: 'platform_adjustments', ownerId: null, amountMinor: amount },
      ],
    });
    return this.adjustments.markPosted(em, row.id, entryId, decidedBy, note);
  }

  private async decide(
    em: EntityManager,
    id: string,
    status: 'rejected' | 'cancelled' | 'expired',
    by: string | null,
    note: string | null,
  ): Promise<AdjustmentRow> {
    return this.adjustments.markDecided(em, id, status, by, note);
  }

  /** The same reference again: the same adjustment answers; anything else is a conflict. */
  private async replay(
    em: EntityManager,
    input: CreateAdjustmentDto,
    reason: string,
  ): Promise<AdjustmentRow> {
    const existing = await this.adjustments.byReference(em, input.reference);
    const same =
      existing.agent_id === input.agentId &&
      Number(existing.amount_minor) === input.amountMinor &&
      existing.currency === input.currency &&
      existing.reason === reason;
    if (!same) {
      throw new DomainError(
        'ADJUSTMENT_REFERENCE_CONFLICT',
        `Reference ${input.reference} was already used for a different adjustment`,
        { reference: input.reference, adjustmentId: existing.id },
      );
    }
    return existing;
  }

  private async pendingForDecision(
    em: EntityManager,
    id: string,
    userId: string,
    action: 'approve' | 'reject',
  ): Promise<AdjustmentRow> {
    const row = await this.pending(em, id, action);
    if (row.created_by === userId) {
      throw new DomainError(
        'FORBIDDEN',
        `An adjustment must be ${action === 'approve' ? 'approved' : 'rejected'} by someone other than its creator`,
      );
    }
    return row;
  }

  /** The adjustment, locked, if still pending and not lapsed (a late expiry job is no excuse). */
  private async pending(em: EntityManager, id: string, action: string): Promise<AdjustmentRow> {
    const row = await this.adjustments.lockWithDue(em, id);
    if (!row) throw DomainError.notFound('Adjustment');
    // Lapsed but its expiry job has not run yet: as good as expired (the job will record it).
    // By the database's clock, which set `expires_at` and which the expiry job reads: by this
    // process's, a clock behind the database's let an approval post a lapsed adjustment.
    const lapsed = row.status === 'pending' && row.due;
    if (row.status !== 'pending' || lapsed) {
      const status = lapsed ? 'expired' : row.status;
      throw new DomainError(
        'ADJUSTMENT_STATE',
        `${inState(status, 'adjustment')} cannot ${action}`,
        {
          status,
        },
      );
    }
    return row;
  }

  private async load(em: EntityManager, id: string): Promise<AdjustmentRow> {
    const row = await this.adjustments.byId(em, id);
    if (!row) throw DomainError.notFound('Adjustment');
    return row;
  }
}
