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

/** Each `.query(` whose SQL is an UPDATE or DELETE with RETURNING: its file, line and receiver. */
function returningWrites(file: string): { at: string; receiver: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { at: string; receiver: string }[] = [];
  const call = /\.query(?:<[^>]*>)?\(\s*`\s*(UPDATE|DELETE)\b([^`]*)`/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    if (!/\bRETURNING\b/i.test(m[2])) continue;
    const before = text.slice(0, m.index);
    const start = Math.max(before.lastIndexOf('const '), before.lastIndexOf('return '));
    found.push({
      at: `${relative(ROOT, file)}:${before.split('\n').length}`,
      receiver: before.slice(start).replace(/\s+/g, ' '),
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

  it('tells the trap from the ways out', () => {
    expect(takesPairApart('const rows: unknown[] = await em.query')).toBe(false);
    expect(takesPairApart('const [row]: Row[] = await em.query')).toBe(false);
    expect(takesPairApart('return em.query')).toBe(false);
    expect(takesPairApart('const [[row]]: [Row[], number] = await em.query')).toBe(true);
    expect(takesPairApart('const [moved]: [unknown[], number] = await em.query')).toBe(true);
    expect(takesPairApart('const [rows] = (await em .query')).toBe(true);
  });
});
