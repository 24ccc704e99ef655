/** A queue dashboard session: the cookie is set on the answer (HttpOnly, Path=/admin/queues). */
export class QueueDashboardSessionDto {
  /**
   * When the session cookie expires (QUEUE_DASHBOARD_SESSION_MINUTES after it was set).
   * @example "2026-11-30T17:30:00.000Z"
   */
  expiresAt: Date;

  /**
   * Where the dashboard is, on this host: open it in the same browser.
   * @example "/admin/queues"
   */
  url: string;
}
