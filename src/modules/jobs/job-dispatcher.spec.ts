import { buildHandlerTable } from './job-dispatcher.service';
import { HandlesJob } from './job-handler';
import { JOB_NAMES, JobName } from './job-registry';

const handler = { handle: async () => undefined } as HandlesJob<JobName>;

describe('buildHandlerTable (start-up check of the job registry)', () => {
  it('accepts one handler per registered job', () => {
    const table = buildHandlerTable(
      ['a', 'b'],
      [
        { name: 'a', handler, provider: 'A' },
        { name: 'b', handler, provider: 'B' },
      ],
    );
    expect([...table.keys()]).toEqual(['a', 'b']);
  });

  it('refuses to start when a registered job has no handler', () => {
    expect(() => buildHandlerTable(['a', 'b'], [{ name: 'a', handler, provider: 'A' }])).toThrow(
      'job "b" has no @JobHandler provider',
    );
  });

  it('refuses two handlers for one job', () => {
    expect(() =>
      buildHandlerTable(
        ['a'],
        [
          { name: 'a', handler, provider: 'A' },
          { name: 'a', handler, provider: 'A2' },
        ],
      ),
    ).toThrow('job "a" has more than one handler (A2)');
  });

  it('refuses a handler for a job that is not registered', () => {
    expect(() =>
      buildHandlerTable(
        ['a'],
        [
          { name: 'a', handler, provider: 'A' },
          { name: 'typo', handler, provider: 'T' },
        ],
      ),
    ).toThrow('T handles unregistered job "typo"');
  });

  it('lists every job in the registry (the real registry is not empty)', () => {
    expect(JOB_NAMES).toContain('system.ping');
  });
});
