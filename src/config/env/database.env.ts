import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ServerEnv } from './server.env';
import { toBool, toInt } from './transforms';

/** PostgreSQL (a URL, or the embedded one's port and directory), Redis and the queues' prefix. */
export class DatabaseEnv extends ServerEnv {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 5432;

  @IsString()
  EMBEDDED_PG_DATA_DIR = '.data/postgres';

  @Transform(toBool)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /**
   * Connections per process (the API and, with WORKERS on, its workers share them). Few: on a
   * small database host, 8 busy backends queue less than 20 fighting for its cores, and the
   * pool's FIFO queue is fairer than the scheduler's (docs/performance.md, "A pool of 8").
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DB_POOL_SIZE = 8;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'QUEUE_PREFIX must be 1-64 letters, digits, - or _',
  })
  QUEUE_PREFIX = 'handoff';
}
