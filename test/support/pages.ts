import type { TestApp } from './test-app';

/**
 * Every item id (`key`) of a keyset-paged list, walked one item per page, so that each step goes
 * through a cursor. Stops with an error past `max` pages (a cursor that never ends).
 */
export async function pageAll(
  t: TestApp,
  path: string,
  auth: Record<string, string>,
  max = 50,
  key = 'id',
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  const glue = path.includes('?') ? '&' : '?';
  for (let page = 0; page < max; page++) {
    const url: string = `${path}${glue}limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: {
      status: number;
      body: { items: Record<string, string>[]; nextCursor: string | null };
    } = await t.http.get(url).set(auth);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(...res.body.items.map((x) => x[key]));
    cursor = res.body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error(`${path}: still more after ${max} pages`);
}
