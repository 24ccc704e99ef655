/**
 * The console's text is English; one fixed locale keeps dates and 24-hour times the same for
 * every agent (and for the browser tests). The time zone is never the browser's by accident:
 * every time is shown in the agent's profile zone, which is named beside it.
 */
export const LOCALE = 'en-GB';

export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTimes = new Map<string, Intl.DateTimeFormat>();
const dateTime = (timeZone: string) => {
  let format = dateTimes.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE, {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    dateTimes.set(timeZone, format);
  }
  return format;
};

// A zone's clock changes by an hour, or by half an hour (Australia/Lord_Howe).
const CHANGES_MS = [-3_600_000, -1_800_000, 1_800_000, 3_600_000];

/**
 * "Tue 5 May, 09:00 Europe/Berlin"; in the hour the clocks repeat when they go back, with the
 * offset ("Sun 25 Oct, 02:30 (GMT+1) Europe/Berlin"): the two 02:30s read alike, and a check-in
 * deadline at the second was read as the first.
 */
export function formatInstant(iso: string, timeZone: string): string {
  const at = new Date(iso);
  const text = dateTime(timeZone).format(at);
  return inRepeatedHour(timeZone, at)
    ? `${text} (${offset(timeZone, at)}) ${timeZone}`
    : `${text} ${timeZone}`;
}

/** Whether the zone's clock reads the same at another instant near this one (clocks gone back). */
export function inRepeatedHour(timeZone: string, at: Date): boolean {
  const text = dateTime(timeZone).format(at);
  return CHANGES_MS.some((ms) => dateTime(timeZone).format(new Date(at.getTime() + ms)) === text);
}

// One per zone: cards showing a window re-render every second.
const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset at an instant, as "GMT+2" ("GMT" at zero). */
export const offset = (timeZone: string, at: Date) => {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE, { timeZone, timeZoneName: 'shortOffset' });
    offsetFormats.set(timeZone, format);
  }
  return format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
};

/**
 * "Tue 5 May, 09:00 – 13:00 Europe/Berlin" (Intl leaves out what both ends share). Across a
 * change of the zone's offset each end names its own: on the night clocks go back, Intl gave
 * 00:30–01:30 UTC as one time ("02:30") and 00:15–01:00 UTC as "02:15–02:00".
 */
export function formatRange(startIso: string, endIso: string, timeZone: string): string {
  const [start, end] = [new Date(startIso), new Date(endIso)];
  const [from, to] = [offset(timeZone, start), offset(timeZone, end)];
  // Inside the hour the clocks repeat too: 00:00–00:45 and 01:00–01:45 UTC both read
  // "02:00–02:45" in Berlin on that night.
  if (from !== to || inRepeatedHour(timeZone, start) || inRepeatedHour(timeZone, end)) {
    const at = dateTime(timeZone);
    return `${at.format(start)} (${from}) – ${at.format(end)} (${to}) ${timeZone}`;
  }
  return `${dateTime(timeZone).formatRange(start, end)} ${timeZone}`;
}

/** A length of time for people: "2 h 05 min", "4 min 10 s", "12 s". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

/** Seconds from now until an instant (negative once it has passed). */
export function secondsUntil(iso: string, now: number): number {
  return Math.floor((new Date(iso).getTime() - now) / 1000);
}

/** Every IANA zone this browser knows, with the current one kept even if it is an alias. */
export function timeZones(current?: string): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}

/**
 * A `datetime-local` value (the browser's zone) as the instant the API takes; '' stays '' for
 * the API to name the field. A value Date cannot read (browsers take years up to 275760, so a
 * stray keystroke gives "20266-05-04T09:00") goes as typed, for the API to refuse under its
 * field: `toISOString` threw inside the submit handler, and the button did nothing.
 */
export function localToInstant(local: string): string {
  if (!local) return '';
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
}

/**
 * Why a `datetime-local` value names no instant in the browser's zone (a time skipped when the
 * clocks go forward: 02:30 on a spring-forward night), else null. The browser moved it by an
 * hour without a word, and the shift was posted at a time nobody typed.
 */
export function missingLocalTime(local: string): string | null {
  const at = new Date(local);
  if (!local || Number.isNaN(at.getTime())) return null;
  return localInputOf(at) === local.slice(0, 16)
    ? null
    : `${local.replace('T', ' ')} does not exist in ${browserZone()}: the clocks go forward then`;
}

/**
 * Why a `datetime-local` value names two instants in the browser's zone (a time the clocks
 * repeat when they go back: 02:30 on a fall-back night is first summer time, then an hour later
 * winter time), else null. The browser took the first without a word: a shift meant to end at
 * the second ended an hour early. Refused rather than guessed: the message names both.
 */
export function repeatedLocalTime(local: string): string | null {
  const at = new Date(local);
  if (!local || Number.isNaN(at.getTime())) return null;
  const typed = local.slice(0, 16);
  const twin = CHANGES_MS.map((ms) => new Date(at.getTime() + ms)).find(
    (other) => localInputOf(other) === typed,
  );
  if (!twin) return null;
  const zone = browserZone();
  const [first, second] = twin > at ? [at, twin] : [twin, at];
  return (
    `${typed.replace('T', ' ')} happens twice in ${zone} (${offset(zone, first)}, then ` +
    `${offset(zone, second)}): the clocks go back then; choose a time outside that hour`
  );
}

/** What is wrong with a `datetime-local` value as an instant: a time skipped or repeated. */
export const localTimeProblem = (local: string): string | null =>
  missingLocalTime(local) ?? repeatedLocalTime(local);

/** An instant as a `datetime-local` value in the browser's zone ("2026-12-07T09:30"). */
export function localInputOf(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(at.getFullYear()).padStart(4, '0')}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}` +
    `T${pad(at.getHours())}:${pad(at.getMinutes())}`
  );
}
