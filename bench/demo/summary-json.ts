/**
 * DEMO_SUMMARY_JSON=path: what the day showed, read back through the API, for machines (the
 * demo's own test checks every story from it). Written at the very end, also when the day
 * failed (`ok: false` with the error), so a caller never waits for a file that will not come.
 */
import { writeFileSync } from 'node:fs';
import type { Schemas } from '../../src/client/client';
import { PayoutOutcome } from './finance';
import { Day } from './state';

export interface DemoSummary {
  ok: boolean;
  error: string | null;
  seed: number;
  tickets: number;
  agents: number;
  runtimeMs: number;
  apiCalls: number;
  resolved: number;
  stories: {
    /** Tickets whose claim deadline passed, and those of them whose skill levels were lowered. */
    slaBreached: number;
    skillsRelaxed: number;
    /** Claims the handle timeout ended, and claims agents gave back. */
    handleTimeoutReleases: number;
    agentReleases: number;
    /** Reopened tickets, whether the agent's earning reversal was seen, resolved again after. */
    reopened: number;
    clawbackSeen: boolean;
    reopenedResolvedAgain: number;
    /** On the push desk: offers accepted, and whether one was declined and offered on. */
    offersAccepted: number;
    offerDeclined: boolean;
    /** The error code the maker got approving her own run. */
    selfApproval: string | null;
    payoutRun: {
      status: string;
      paidLines: number;
      heldLines: number;
      /** held reason → lines */
      held: Record<string, number>;
    } | null;
  };
}

export function summarise(
  day: Day | null,
  tickets: Map<string, Schemas['TicketDto']> | null,
  payout: PayoutOutcome | null,
): Omit<DemoSummary, 'ok' | 'error' | 'seed' | 'runtimeMs'> {
  const all = [...(tickets?.values() ?? [])];
  const claims = all.flatMap((t) => t.claims ?? []);
  const lines: Schemas['PayoutLineDto'][] = payout?.run.lines ?? [];
  const held: Record<string, number> = {};
  for (const l of lines.filter((x) => x.status === 'held')) {
    held[l.heldReason ?? '?'] = (held[l.heldReason ?? '?'] ?? 0) + 1;
  }
  return {
    tickets: day?.scale.tickets ?? 0,
    agents: day?.agents.length ?? 0,
    apiCalls: day?.api.calls ?? 0,
    resolved: all.filter((t) => t.status === 'resolved').length,
    stories: {
      slaBreached: all.filter((t) => t.slaBreachedAt !== null).length,
      skillsRelaxed: all.filter((t) => t.requiredSkills.some((s) => s.minLevel < s.requestedLevel))
        .length,
      handleTimeoutReleases: claims.filter((c) => c.releasedBy === 'handle_timeout').length,
      agentReleases: claims.filter((c) => c.releasedBy === 'agent').length,
      reopened: all.filter((t) => t.reopenCount > 0).length,
      clawbackSeen: day?.stories.clawbackSeen ?? false,
      reopenedResolvedAgain: all.filter((t) => t.reopenCount > 0 && t.status === 'resolved').length,
      offersAccepted: day?.stories.offersAccepted ?? 0,
      offerDeclined: (day?.stories.declined ?? null) !== null,
      selfApproval: day?.stories.selfApproval ?? null,
      payoutRun: payout
        ? {
            status: payout.run.status,
            paidLines: lines.filter((l) => l.status === 'paid').length,
            heldLines: lines.filter((l) => l.status === 'held').length,
            held,
          }
        : null,
    },
  };
}

export function writeSummary(path: string, summary: DemoSummary): void {
  writeFileSync(path, JSON.stringify(summary, null, 2) + '\n');
}
