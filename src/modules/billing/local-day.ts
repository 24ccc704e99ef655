/** `YYYY-MM-DD` of an instant in a time zone (what an invoice line or period shows). */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** A period [start, end) as its first and last days in the zone: `2026-11-30 to 2026-12-06`. */
export function periodDays(start: Date, end: Date, timeZone: string): string {
  return `${localDay(start, timeZone)} to ${localDay(new Date(end.getTime() - 1), timeZone)}`;
}
