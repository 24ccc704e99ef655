/** A page in a role's navigation; `also`: other paths that light it up (a ticket, the desk). */
export interface NavPage {
  to: string;
  label: string;
  also?: string;
}

/** Every role's last page: the signed-in person's own account (the password). */
const ACCOUNT: NavPage = { to: '/account', label: 'Account' };

/**
 * Each role's pages, in the navigation's order; `live`: the role has an event stream (admins
 * have none: nothing of theirs changes under them).
 */
export const NAV: Partial<Record<string, { label: string; live: boolean; pages: NavPage[] }>> = {
  agent: {
    label: 'Agent pages',
    live: true,
    pages: [
      // A ticket is worked from the desk: its pages light the desk up.
      { to: '/agent/desk', label: 'Desk', also: '/agent/tickets/' },
      { to: '/agent/shifts', label: 'Open shifts' },
      { to: '/agent/seats', label: 'My seats' },
      { to: '/agent/earnings', label: 'Earnings' },
      { to: '/agent/quality', label: 'Quality' },
      { to: '/agent/profile', label: 'Profile' },
      ACCOUNT,
    ],
  },
  company_admin: {
    label: 'Company pages',
    live: true,
    pages: [
      { to: '/company/queue', label: 'Live queue', also: '/company/tickets/' },
      { to: '/company/shifts', label: 'Shifts' },
      { to: '/company/agents', label: 'Agents' },
      { to: '/company/integration', label: 'Bot and webhook' },
      { to: '/company/statement', label: 'Statement' },
      { to: '/company/billing', label: 'Billing' },
      ACCOUNT,
    ],
  },
  finance: {
    label: 'Finance pages',
    live: true,
    pages: [
      { to: '/finance/runs', label: 'Payout runs' },
      { to: '/finance/adjustments', label: 'Adjustments' },
      { to: '/finance/receivables', label: 'Receivables' },
      { to: '/finance/ledger', label: 'Ledger' },
      ACCOUNT,
    ],
  },
  // Not under /admin: that path is the queue dashboard's (the API serves it, not the console).
  admin: {
    label: 'Admin pages',
    live: false,
    pages: [
      { to: '/platform/agents', label: 'Agents' },
      { to: '/platform/skills', label: 'Skills' },
      { to: '/platform/reviews', label: 'Review disputes' },
      { to: '/platform/staff', label: 'Staff and queues' },
      ACCOUNT,
    ],
  },
};

/** Where a signed-in user lands: their role's first page, or the "not here yet" page. */
export function homeOf(role: string | undefined): string {
  return (role && NAV[role]?.pages[0].to) ?? '/welcome';
}
