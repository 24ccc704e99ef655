/**
 * The tab's title: the page's own, with the agent's pending offers counted first ("(2) Earnings
 * · Handoff"), so an agent in another tab sees one come (it runs out in seconds, and three
 * unanswered set the agent away).
 */
let pageTitle = 'Handoff';
let waiting = 0;

function show(): void {
  document.title = `${waiting > 0 ? `(${waiting}) ` : ''}${pageTitle} · Handoff`;
}

export function setPageTitle(title: string): void {
  pageTitle = title;
  show();
}

/** How many offers wait for an answer (0: none, the count goes). */
export function setWaitingOffers(count: number): void {
  if (count === waiting) return;
  waiting = count;
  show();
}
