import type { LogFn, Logger } from 'pino';

/** Nest's logger contexts for its one line per controller and one line per route. */
const CONTROLLER_CONTEXT = 'RoutesResolver';
const ROUTE_CONTEXT = 'RouterExplorer';
/** One "XModule dependencies initialized" line per module. */
const MODULE_CONTEXT = 'InstanceLoader';
/** Logs "Nest application successfully started" once every route is mapped. */
const READY_CONTEXT = 'NestApplication';
const INFO = 30;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

type LogMethodHook = (this: Logger, args: Parameters<LogFn>, method: LogFn, level: number) => void;

function contextOf(args: unknown[]): unknown {
  const first = args[0];
  return typeof first === 'object' && first !== null
    ? (first as { context?: unknown }).context
    : undefined;
}

/**
 * A pino logMethod hook for Nest's start-up chatter: one info line per module, controller and
 * route (about 140 lines, burying what matters). They move to debug, so LOG_LEVEL=debug still
 * lists them, and the routes are summed up in one info line, "mapped 84 routes in 22
 * controllers", just before Nest's "successfully started". Only info lines are touched:
 * a warning or an error from the router passes through.
 */
export function routeSummaryHook(): LogMethodHook {
  let routes = 0;
  let controllers = 0;
  return function (this: Logger, args, method, level) {
    // Only at info: the debug copies below come back through this hook and pass.
    const context = level === INFO ? contextOf(args) : undefined;
    if (context === ROUTE_CONTEXT || context === CONTROLLER_CONTEXT || context === MODULE_CONTEXT) {
      if (context === ROUTE_CONTEXT) routes += 1;
      if (context === CONTROLLER_CONTEXT) controllers += 1;
      this.debug(...args);
      return;
    }
    if (context === READY_CONTEXT && (routes > 0 || controllers > 0)) {
      method.call(
        this,
        { context: 'Routes', routes, controllers },
        `mapped ${plural(routes, 'route')} in ${plural(controllers, 'controller')}`,
      );
      routes = 0;
      controllers = 0;
    }
    method.apply(this, args);
  };
}
