/**
 * Query parameters whose values may be personal data (a staff search by an agent's name or
 * email prefix): logged by name, their value replaced. The logger already keeps emails and
 * messages out of database errors; a URL must not carry them into the request log instead.
 */
const PERSONAL = /([?&](?:q|email)=)[^&#]*/gi;

/** The URL as it may be logged: as sent, but for the values of PERSONAL parameters. */
export function loggedUrl(url: string): string {
  return url.includes('?') ? url.replace(PERSONAL, '$1[redacted]') : url;
}
