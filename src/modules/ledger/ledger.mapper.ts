import { AdjustmentDto } from './adjustment.dto';
import { AdjustmentRow } from './adjustments.repository';
import { AgentIdentity } from './agent-identities.service';
import { StatementRow, StatementTotalRow, UnreversedRow } from './earnings.repository';
import { AccountBalanceRow, AgentLineRow } from './journal.repository';
import {
  EarningsLineDto,
  StatementLineDto,
  StatementTotalDto,
  TrialBalanceRowDto,
  UnreversedReopenedClaimDto,
} from './ledger.dto';

export const toAdjustmentDto = (r: AdjustmentRow, who: AgentIdentity): AdjustmentDto => ({
  id: r.id,
  reference: r.reference,
  agentId: r.agent_id,
  agentDisplayName: who.agentDisplayName,
  agentEmail: who.agentEmail,
  amountMinor: Number(r.amount_minor),
  currency: r.currency,
  reason: r.reason,
  status: r.shown_status ?? r.status,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  decisionNote: r.decision_note,
  entryId: r.entry_id,
});

/** A line on the agent's accounts as the agent sees it: positive when what it is owed grows. */
export const toEarningsLineDto = (r: AgentLineRow): EarningsLineDto => ({
  entryId: r.entry_id,
  kind: r.kind,
  bucket: r.code === 'agent_pending' ? 'pending' : 'available',
  amountMinor: -Number(r.amount_minor),
  currency: r.currency,
  ticketId: r.ticket_id,
  claimId: r.claim_id,
  payoutLineId: r.payout_line_id,
  memo: r.memo,
  createdAt: r.created_at,
  availableAt: r.available_at,
});

export const toStatementLineDto = (
  r: StatementRow,
  externalId: string,
  agentDisplayName: string | null,
): StatementLineDto => ({
  ticketId: r.ticket_id,
  externalId,
  claimId: r.claim_id,
  agentId: r.agent_id,
  agentDisplayName,
  resolvedAt: r.earned_at,
  currency: r.currency,
  rateMinor: Number(r.amount_minor),
  feeMinor: Number(r.fee_minor),
  totalMinor: Number(r.amount_minor) + Number(r.fee_minor),
  status: r.status,
});

export const toStatementTotalDto = (t: StatementTotalRow): StatementTotalDto => ({
  currency: t.currency,
  tickets: t.tickets,
  rateMinor: Number(t.rate_minor),
  feeMinor: Number(t.fee_minor),
  totalMinor: Number(t.rate_minor) + Number(t.fee_minor),
});

export const toTrialBalanceRowDto = (r: AccountBalanceRow): TrialBalanceRowDto => ({
  account: r.code,
  currency: r.currency,
  balanceMinor: Number(r.balance),
});

export const toUnreversedReopenedClaimDto = (r: UnreversedRow): UnreversedReopenedClaimDto => ({
  claimId: r.claim_id,
  ticketId: r.ticket_id,
  agentId: r.agent_id,
  companyId: r.company_id,
  earningStatus: r.status,
  amountMinor: Number(r.amount_minor),
  currency: r.currency,
  reopenedAt: r.reopened_at,
});
