/** What the actors of the day share: their sessions and what happened, for the story and summary. */
import type { Schemas } from '../../src/client/client';
import { Api } from './api-client';
import { AgentPlan, CompanyKey, CompanyPlan, TeamKey } from './cast';
import { DayScale } from './scale';

export interface CompanySession {
  plan: CompanyPlan;
  id: string;
  adminToken: string;
  botKey: string;
  shifts: Map<TeamKey, Schemas['ShiftDto']>;
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

export interface Resolution {
  agent: AgentSession;
  at: number;
  skill: string;
  /** What the ticket asks for, to know who could take it again were it reopened. */
  language: string;
  requiredSkills: { skill: string; minLevel: number }[];
}

/** The story beats that happen to whoever is in the right place (for the summary, too). */
export interface Stories {
  /** Claimed a ticket and walked away from it: the handle timeout gives it back. */
  walkedAway: { agent: AgentSession; ticketId: string; subject: string } | null;
  /** Offers accepted on the push desk. */
  offersAccepted: number;
  /** The first offer an agent on the push desk declined (the router offered it on). */
  declined: { agent: AgentSession; ticketId: string; subject: string } | null;
  /** The first ticket an agent gave back, with a reason. */
  released: { agent: AgentSession; ticketId: string; subject: string } | null;
  /** The reopened ticket's earning reversal, as its agent saw it in their own earnings. */
  clawbackSeen: boolean;
  /** The error code the finance maker got approving her own run (maker-checker). */
  selfApproval: string | null;
}

export interface Day {
  api: Api;
  scale: DayScale;
  companies: Map<CompanyKey, CompanySession>;
  agents: AgentSession[];
  shiftStartsAt: Date;
  /** Server clock minus ours (ms), so shift times are right on a remote instance too. */
  clockSkewMs: number;
  /** Ticket id → company, for everything the bots escalated. */
  escalated: Map<string, CompanyKey>;
  /** Tickets resolved and not reopened since: the work is done when it covers every ticket. */
  resolved: Map<string, Resolution>;
  escalationsDone: boolean;
  reopen: { ticketId: string; agent: AgentSession; subject: string } | null;
  stories: Stories;
  /** Set when the agents should stop (all work done, or the time limit). */
  stopWork: boolean;
}

export const serverNow = (day: Pick<Day, 'clockSkewMs'>) => new Date(Date.now() + day.clockSkewMs);
