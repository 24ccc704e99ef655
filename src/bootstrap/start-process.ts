import type { Logger } from 'pino';
import { ConfigError, Env, validateEnv } from '../config/env.validation';
import { chooseLogFormat } from '../common/logging/log-format';
import { createRootLogger } from '../common/logging/root-logger';
import { loadDotEnv } from './dot-env';
import {
  prepareInfrastructure,
  PreparedInfrastructure,
  PrepareOptions,
} from './prepare-infrastructure';

export interface StartedProcess extends PreparedInfrastructure {
  log: Logger;
}

/**
 * Shared by every entry point: read .env if present, validate configuration, prepare the
 * database and Redis. Any failure prints one clear message and exits non-zero.
 */
export async function startProcess(
  role: string,
  options: PrepareOptions = {},
): Promise<StartedProcess> {
  loadDotEnv();
  let env: Env;
  try {
    env = validateEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw e;
  }
  const format = chooseLogFormat(process.stdout.isTTY, env.NODE_ENV, env.LOG_FORMAT);
  const log = createRootLogger(env.LOG_LEVEL, role, undefined, format);
  try {
    const prepared = await prepareInfrastructure(env, log, options);
    return { ...prepared, log };
  } catch (e) {
    // A library may reject with nothing at all: still say something.
    const message = e instanceof Error ? e.message : `start-up failed: ${String(e)}`;
    log.fatal({ err: e }, message);
    process.stderr.write(`\n${message}\n`);
    process.exit(1);
  }
}
