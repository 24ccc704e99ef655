import { slaState } from '../web/src/pages/company/sla-state';

/** The company console's SLA badge (queue and ticket page). */
describe('the console tells a ticket’s SLA', () => {
  const deadline = '2026-12-06T10:00:00.000Z';
  const at = (iso: string) => new Date(iso).getTime();
  const ticket = (
    status: string,
    claimedAt: string | null,
    slaBreachedAt: string | null = null,
  ) => ({
    status,
    slaDeadline: deadline,
    slaBreachedAt,
    claimedAt,
  });

  it('counts down while the ticket waits, and shows a breach once the deadline passed, swept or not', () => {
    expect(slaState(ticket('open', null), at('2026-12-06T09:58:00Z'))).toEqual({
      kind: 'waiting',
      leftSeconds: 120,
    });
    expect(slaState(ticket('open', null), at('2026-12-06T10:01:00Z'))).toEqual({
      kind: 'breached',
      agoSeconds: 60,
    });
  });

  it('a ticket claimed before its deadline met it, whatever the clock says since', () => {
    const claimed = ticket('claimed', '2026-12-06T09:59:00Z');
    expect(slaState(claimed, at('2026-12-06T12:00:00Z'))).toEqual({ kind: 'met' });
  });

  it('a ticket claimed after its deadline breached it before the sweep records it (it said "Claimed in time")', () => {
    const late = ticket('claimed', '2026-12-06T10:05:00Z');
    expect(slaState(late, at('2026-12-06T10:06:00Z'))).toEqual({
      kind: 'breached',
      agoSeconds: null,
    });
    const swept = ticket('resolved', '2026-12-06T09:00:00Z', '2026-12-06T10:00:01Z');
    expect(slaState(swept, at('2026-12-06T12:00:00Z'))).toEqual({
      kind: 'breached',
      agoSeconds: null,
    });
  });
});
