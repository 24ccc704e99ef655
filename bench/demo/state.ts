/** What the actors of the day share: their sessions and what happened, for the story and summary. */
import { Api } from './api-client';
import type { Shift } from './api-types';
import { AgentPlan, CompanyKey, CompanyPlan, TeamKey } from './cast';

export interface CompanySession {
  plan: CompanyPlan;
  id: string;
  adminToken: string;
  botKey: string;
  shifts: Map<TeamKey, Shift>;
  webhookSecret: string | null;
}

export interface AgentSession {
  plan: AgentPlan;
  id: string;
  token: string;
  shiftId: string | null;
  payoutsEnabled: boolean;
  resolved: number;
  released: number;
}

export interface Day {
  api: Api;
  companies: Map<CompanyKey, CompanySession>;
  agents: AgentSession[];
  shiftStartsAt: Date;
  /** Server clock minus ours (ms), so shift times are right on a remote instance too. */
  clockSkewMs: number;
  /** Ticket id → company, for everything the bots escalated. */
  escalated: Map<string, CompanyKey>;
  /** Tickets resolved and not reopened since: the work is done when it covers every ticket. */
  resolved: Map<string, { agent: AgentSession; at: number; skill: string }>;
  escalationsDone: boolean;
  reopen: { ticketId: string; agent: AgentSession; subject: string } | null;
  /** Set when the agents should stop (all work done, or the time limit). */
  stopWork: boolean;
}

export const serverNow = (day: Pick<Day, 'clockSkewMs'>) => new Date(Date.now() + day.clockSkewMs);
