import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
} from 'class-validator';
import { toBool, toInt } from './transforms';
import { NamedProxiesInProduction, ProxyList } from './trust-proxy.constraints';

/**
 * The process and its HTTP server: which environment, where it listens, what a request may
 * carry and which proxies are believed. The first link of the chain that makes up Env
 * (env.validation.ts), whose order is the order validateEnv reports problems in.
 */
export class ServerEnv {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toBool)
  @IsBoolean()
  WORKERS = true;

  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 256kb, 1mb or 1024b' })
  BODY_LIMIT = '256kb';

  /** Serve the Swagger UI at /docs and the OpenAPI JSON at /docs-json; off, both answer 404. */
  @Transform(toBool)
  @IsBoolean()
  API_DOCS = true;

  /**
   * Browser origins allowed to call the API (CORS), comma-separated exact origins such as
   * https://app.example.com; empty (the default) allows none.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/,\s]+\/?(,\s*https?:\/\/[^/,\s]+\/?)*$/, {
    message: 'CORS_ORIGINS must be comma-separated origins like https://app.example.com',
  })
  CORS_ORIGINS?: string;

  /** How long an Idempotency-Key and its answer are kept, in hours. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(168)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;

  /**
   * Fastify's trustProxy: false, true, or the proxies' addresses and subnets (comma-separated).
   * Not a hop count: Fastify 5.12 trusts nothing for one, since a count cannot tell the proxy
   * from a client that forges X-Forwarded-For; refused here rather than silently ignored.
   */
  @IsString()
  @Matches(/^(?!\s*\d+\s*$)/, {
    message:
      "TRUST_PROXY must be true, false, or the proxies' addresses or subnets (e.g. loopback, 10.0.0.0/8), not a hop count",
  })
  @Validate(ProxyList)
  @Validate(NamedProxiesInProduction)
  TRUST_PROXY = 'false';
}
