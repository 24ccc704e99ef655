/** A page in a role's navigation; `also`: other paths that light it up (a ticket, the desk). */
export interface NavPage {
  to: string;
  label: string;
  also?: string;
}

/** Each role's pages, in the navigation's order; a role without pages has none yet. */
export const NAV: Partial<Record<string, { label: string; pages: NavPage[] }>> = {
  agent: {
    label: 'Agent pages',
    pages: [
      // A ticket is worked from the desk: its pages light the desk up.
      { to: '/agent/desk', label: 'Desk', also: '/agent/tickets/' },
      { to: '/agent/shifts', label: 'Open shifts' },
      { to: '/agent/seats', label: 'My seats' },
      { to: '/agent/earnings', label: 'Earnings' },
      { to: '/agent/profile', label: 'Profile' },
    ],
  },
  company_admin: {
    label: 'Company pages',
    pages: [
      { to: '/company/queue', label: 'Live queue', also: '/company/tickets/' },
      { to: '/company/shifts', label: 'Shifts' },
      { to: '/company/integration', label: 'Bot and webhook' },
      { to: '/company/statement', label: 'Statement' },
    ],
  },
};

/** Where a signed-in user lands: their role's first page, or the "not here yet" page. */
export function homeOf(role: string | undefined): string {
  return (role && NAV[role]?.pages[0].to) ?? '/welcome';
}
