import pino from 'pino';
import { routeSummaryHook } from './route-summary';

function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level, hooks: { logMethod: routeSummaryHook() } },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

/** What Nest logs while mapping two controllers, then when it is ready. */
function nestStartUp(log: pino.Logger) {
  log.info({ context: 'InstanceLoader' }, 'AppModule dependencies initialized');
  log.info({ context: 'RoutesResolver' }, 'MeController {/v1/me}:');
  log.info({ context: 'RouterExplorer' }, 'Mapped {/v1/me, GET} route');
  log.info({ context: 'RoutesResolver' }, 'SkillsController {/v1/skills}:');
  log.info({ context: 'RouterExplorer' }, 'Mapped {/v1/skills, GET} route');
  log.info({ context: 'RouterExplorer' }, 'Mapped {/v1/skills, POST} route');
  log.warn({ context: 'RouterExplorer' }, 'Unsupported host filtering');
  log.info({ context: 'NestApplication' }, 'Nest application successfully started');
}

describe('routeSummaryHook', () => {
  it('replaces the per-module, per-controller and per-route lines with one summary before "started"', () => {
    const { log, lines } = logger('info');
    nestStartUp(log);
    expect(lines.map((l) => [l.level, l.context, l.msg])).toEqual([
      [40, 'RouterExplorer', 'Unsupported host filtering'], // warnings pass through
      [30, 'Routes', 'mapped 3 routes in 2 controllers'],
      [30, 'NestApplication', 'Nest application successfully started'],
    ]);
    expect(lines[1]).toMatchObject({ routes: 3, controllers: 2 });
  });

  it('still lists every module, controller and route at LOG_LEVEL=debug', () => {
    const { log, lines } = logger('debug');
    nestStartUp(log);
    expect(lines.filter((l) => l.level === 20).map((l) => l.msg)).toEqual([
      'AppModule dependencies initialized',
      'MeController {/v1/me}:',
      'Mapped {/v1/me, GET} route',
      'SkillsController {/v1/skills}:',
      'Mapped {/v1/skills, GET} route',
      'Mapped {/v1/skills, POST} route',
    ]);
  });

  it('says nothing about routes in a process without any (the worker), and counts children', () => {
    const { log, lines } = logger('info');
    log.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(lines.map((l) => l.msg)).toEqual(['Nest application successfully started']);
    const child = log.child({ reqless: true });
    child.info({ context: 'RouterExplorer' }, 'Mapped {/a, GET} route');
    child.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(lines.map((l) => l.msg)).toContain('mapped 1 route in 0 controllers');
  });
});
