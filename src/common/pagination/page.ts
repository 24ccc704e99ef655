import { DomainError } from '../errors/domain-error';
import { isInstant } from '../validation/is-instant';
import { isUuid } from '../validation/uuid';

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Keyset cursors: the sort key of the last item, opaque to clients. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

// A shift's start or end as cursorInstant writes it for the year 10000 (five digits): shifts
// stored before isInstant held the years of the instant itself (9999-12-31T20:00:00-15:00 was
// taken) must still page. Only as far as a 9999 date-time with an offset of -15:59 reaches.
const YEAR_10000 = /^10000-01-01T(0\d|1[0-5]):[0-5]\d:[0-5]\d\.\d{6}Z$/;

const CURSOR_PARTS = {
  instant: isInstant,
  /** An instant a client chose and a list pages by: a shift's times. */
  shiftTime: (v: unknown) => isInstant(v) || (typeof v === 'string' && YEAR_10000.test(v)),
  uuid: isUuid,
  int: (v: unknown) => typeof v === 'string' && /^\d{1,18}$/.test(v),
  // An amount in minor units, which can be negative (a payout line held for a debt).
  signedInt: (v: unknown) => typeof v === 'string' && /^-?\d{1,18}$/.test(v),
  // A sort key that is a name (a display name): any string a row could hold (no NUL: text
  // cannot hold one, and PostgreSQL refuses it as a parameter).
  text: (v: unknown) => typeof v === 'string' && v.length <= 200 && !v.includes('\u0000'),
};

/** Decodes a cursor made by encodeCursor, checking each part's type (it comes from a client). */
export function decodeCursor(
  cursor: string | undefined,
  parts: (keyof typeof CURSOR_PARTS)[],
): string[] | null {
  if (cursor === undefined) return null;
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === parts.length &&
      parts.every((kind, i) => CURSOR_PARTS[kind](values[i]))
    ) {
      return values as string[];
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/** The 400 for a cursor a list cannot continue from. */
export function invalidCursor(): DomainError {
  return DomainError.validation([
    { field: 'cursor', messages: ['cursor is not a valid page cursor'] },
  ]);
}

/** Fetch limit + 1 rows; the extra one only says whether there is a next page. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  key: (row: R) => (string | number)[],
): Page<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return {
    items: items.map(map),
    nextCursor: more ? encodeCursor(key(items[items.length - 1])) : null,
  };
}
