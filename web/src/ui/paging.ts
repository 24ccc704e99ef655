import type { Schemas } from '../api/client';

/** What every paged answer of the API has: `?limit&cursor` in, `nextCursor` out. */
type CursorPage = Pick<Schemas['ShiftClaimPageDto'], 'nextCursor'>;

/** TanStack's getNextPageParam for the API's pages (null means the last page). */
export const nextCursor = (page: CursorPage): string | undefined => page.nextCursor ?? undefined;

/** The page size the console asks for. */
export const PAGE_SIZE = 20;
