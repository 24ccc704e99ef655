import type { TestApp } from './test-app';

/**
 * Every page of a keyset-paged list, `limit` items each, following each `nextCursor` from the
 * first page. Stops with an error past `max` pages (a cursor that never ends).
 */
export async function walkPages<P extends { nextCursor: string | null }>(
  t: TestApp,
  path: string,
  auth: Record<string, string>,
  limit: number,
  max = 50,
): Promise<P[]> {
  const pages: P[] = [];
  let cursor: string | null = null;
  const glue = path.includes('?') ? '&' : '?';
  for (let page = 0; page < max; page++) {
    const url: string = `${path}${glue}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: { status: number; body: P } = await t.http.get(url).set(auth);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
    pages.push(res.body);
    cursor = res.body.nextCursor;
    if (!cursor) return pages;
  }
  throw new Error(`${path}: still more after ${max} pages`);
}

/**
 * Every item id (`key`) of a keyset-paged list, walked one item per page, so that each step goes
 * through a cursor.
 */
export async function pageAll(
  t: TestApp,
  path: string,
  auth: Record<string, string>,
  max = 50,
  key = 'id',
): Promise<string[]> {
  const pages = await walkPages<{ items: Record<string, string>[]; nextCursor: string | null }>(
    t,
    path,
    auth,
    1,
    max,
  );
  return pages.flatMap((p) => p.items.map((x) => x[key]));
}
