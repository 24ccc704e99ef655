/**
 * TypeORM's query() answers an `UPDATE … RETURNING` or `DELETE … RETURNING` as `[rows, count]`,
 * so `.length` of what it returns is always 2 and `const [row] = …` is the rows array: "nothing
 * matched" reads as "something did". Five repository methods fell into it (a write-off asked of a
 * paid invoice went on to Stripe; an issue retry finalized a second Stripe invoice). Every such
 * statement goes through changedRows (src/database/sql.ts), or destructures the pair itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'client' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The statement with every parenthesised part taken out: what it does at the top level. */
function topLevel(sql: string): string {
  let out = sql;
  for (let prev = ''; prev !== out;) [prev, out] = [out, out.replace(/\([^()]*\)/g, '')];
  return out;
}

/** Whether TypeORM answers this statement with [rows, count]: an UPDATE or DELETE returning. */
export function answersPair(sql: string): boolean {
  const top = topLevel(sql);
  return /^\s*(WITH\b[\s\S]*?\b)?(UPDATE|DELETE)\b/i.test(top) && /\bRETURNING\b/i.test(top);
}

/** Each `.query(` of such a statement (in backquotes or quotes): its file, line and receiver. */
function returningWrites(file: string): { at: string; receiver: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { at: string; receiver: string }[] = [];
  const call = /\.query(?:<[^>]*>)?\(\s*(`[^`]*`|'[^']*')/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    if (!answersPair(m[1].slice(1, -1))) continue;
    const lines = text.slice(0, m.index).split('\n');
    // The statement the call is in: from the nearest line that begins one.
    let first = lines.length - 1;
    while (first > 0 && !/^\s*(const|let|return|await)\b/.test(lines[first])) first -= 1;
    found.push({
      at: `${relative(ROOT, file)}:${lines.length}`,
      receiver: lines.slice(first).join(' ').replace(/\s+/g, ' ').trim(),
    });
  }
  return found;
}

/** Takes the pair apart: `const [[row]] = …`, `const [rows]: [Row[], number] = …`, `const [rows] = (await … ) as [Row[], number]`. */
const takesPairApart = (receiver: string) =>
  /^const \[\[/.test(receiver) ||
  /^const \[\w+\]: \[/.test(receiver) ||
  /^const \[\w+\] = \(await/.test(receiver);

describe('UPDATE/DELETE … RETURNING through query()', () => {
  it('goes through changedRows, or takes the [rows, count] pair apart, everywhere in src', () => {
    const writes = sources(join(ROOT, 'src')).flatMap(returningWrites);
    expect(writes.length).toBeGreaterThan(0); // the scan sees the ones that take the pair apart
    const traps = writes.filter((w) => !takesPairApart(w.receiver)).map((w) => w.at);
    expect(traps).toEqual([]);
  });

  it('knows which statements answer [rows, count]', () => {
    expect(answersPair('UPDATE t SET a = 1 WHERE id = $1 RETURNING id')).toBe(true);
    expect(answersPair('WITH x AS (SELECT 1) DELETE FROM t USING x RETURNING t.id')).toBe(true);
    expect(answersPair('WITH u AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM u')).toBe(false);
    expect(answersPair('UPDATE t SET a = (SELECT 1) WHERE id = $1')).toBe(false);
    expect(answersPair('INSERT INTO t VALUES (1) RETURNING id')).toBe(false);
  });

  it('tells the trap from the ways out', () => {
    expect(takesPairApart('const rows: unknown[] = await em.query')).toBe(false);
    expect(takesPairApart('const [row]: Row[] = await em.query')).toBe(false);
    expect(takesPairApart('return em.query')).toBe(false);
    expect(takesPairApart('const [[row]]: [Row[], number] = await em.query')).toBe(true);
    expect(takesPairApart('const [moved]: [unknown[], number] = await em.query')).toBe(true);
    expect(takesPairApart('const [rows] = (await em .query')).toBe(true);
  });
});
