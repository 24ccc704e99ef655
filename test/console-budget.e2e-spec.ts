import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The console's first-load budget is a check in the build (scripts/console-budget.js). */
describe('the console first-load budget', () => {
  const script = join(__dirname, '..', 'scripts', 'console-budget.js');
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });

  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'web', 'index.html'))) {
      throw new Error('dist/web is missing: build first (npm run build)');
    }
  });

  it('passes for the built console, under 300 KB gzipped', () => {
    const res = run();
    expect(res.stderr).toMatch(/Console first load: [\d.]+ KB gzipped \(budget 300 KB\)/);
    expect(res.status).toBe(0);
  });

  it('fails the build when the first load is over budget, naming the files', () => {
    const res = run({ CONSOLE_BUDGET_KB: '10' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/console first load: \/assets\/index-[\w-]+\.js/);
  });
});
