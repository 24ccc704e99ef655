import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDotEnv } from '../bootstrap/dot-env';
import { migrationDataSourceOptions } from './migration-options';

/** `npm run migration:*` used to ignore .env and reach for the default database (issue 13). */
describe('the migration data source reads .env as the server does', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'handoff-dotenv-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const envFile = (text: string) => {
    writeFileSync(join(dir, '.env'), text);
    return join(dir, '.env');
  };

  it('connects to the DATABASE_URL written in .env', () => {
    const file = envFile('# local\nDATABASE_URL=postgres://me@db.example:5433/handoff_dev\n');
    const options = migrationDataSourceOptions({}, file);
    expect(options).toMatchObject({
      type: 'postgres',
      url: 'postgres://me@db.example:5433/handoff_dev',
    });
  });

  it('lets the real environment win over .env, like the server', () => {
    const file = envFile('DATABASE_URL=postgres://me@from-file:5432/a\n');
    const options = migrationDataSourceOptions(
      { DATABASE_URL: 'postgres://me@from-env:5432/b' },
      file,
    );
    expect(options).toMatchObject({ url: 'postgres://me@from-env:5432/b' });
  });

  it('falls back to the local default without a .env, and names a bad variable from it', () => {
    expect(migrationDataSourceOptions({}, join(dir, 'absent.env'))).toMatchObject({
      url: 'postgres://postgres@127.0.0.1:5432/handoff',
    });
    const file = envFile('EMBEDDED_PG_PORT=not-a-port\n');
    expect(() => migrationDataSourceOptions({}, file)).toThrow(/EMBEDDED_PG_PORT/);
  });

  it('loadDotEnv parses quotes, comments and export, and sets only what is unset', () => {
    const file = envFile(
      '# comment\nexport A=1\nB="two words # not a comment"\nC=from-file\nEMPTY=\n',
    );
    const target: Record<string, string | undefined> = { C: 'from-env' };
    expect(loadDotEnv(file, target).sort()).toEqual(['A', 'B', 'EMPTY']);
    expect(target).toEqual({ A: '1', B: 'two words # not a comment', C: 'from-env', EMPTY: '' });
  });
});
