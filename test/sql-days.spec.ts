import { join } from 'node:path';
import { moduleSources } from './support/ownership';

/*
 * A day in SQL is 24 hours, as in TypeScript. `make_interval(days => n)` (and `interval 'n
 * days'`) added to a timestamptz counts calendar days in the session's TimeZone, which the
 * connection does not set: on a server whose zone is Europe/Berlin, a login of 30 days ended an
 * hour early across a clock change while its token said otherwise. Calendar periods name their
 * zone explicitly (billing periods, a statement's month) and use months or weeks of local time.
 */
describe('SQL days are 24 hours', () => {
  const sources = {
    ...moduleSources(join(__dirname, '..', 'src')),
    ...moduleSources(join(__dirname, '..', 'migrations')),
  };
  const CALENDAR_DAYS = /make_interval\([^)]*\bdays\s*=>|interval\s+'[^']*\bdays?\b[^']*'/gi;

  it('counts no calendar days in the session zone', () => {
    const found = Object.entries(sources).flatMap(([path, text]) =>
      [...text.matchAll(CALENDAR_DAYS)].map((m) => `${path}: ${m[0]}`),
    );
    expect(found).toEqual([]);
  });

  it('would see one', () => {
    expect('now() - make_interval(days => $1)'.match(CALENDAR_DAYS)).not.toBeNull();
    expect("now() - interval '30 days'".match(CALENDAR_DAYS)).not.toBeNull();
  });
});
