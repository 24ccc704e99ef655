/**
 * The HTTP stack alone (issue 20: "try @nestjs/platform-fastify"): how much CPU per request
 * Nest on Express and Nest on Fastify spend on intake's request without any of our work behind
 * it. Each server is its own process with the same pipeline as the API's intake route: the
 * global ValidationPipe with the API's options on the real CreateEscalationDto (a ≈1 KB body),
 * a guard reading the bearer token, and a ≈1 KB JSON answer built per request. The load (C
 * keep-alive clients, N requests) goes to each in turn, twice, and CPU per request is read from
 * /proc for each server process.
 *
 * What it answered: what the frameworks alone cost, against the API's CPU per escalation on
 * Express from bench:intake (BENCH_API_CPU_MS, 1.23 ms, measured on 2026-12-01). It was the
 * first measure of the Fastify lever; the whole API, measured on both, is what decided the move
 * (docs/adr/0017-fastify.md). Kept so the two stacks can be compared again on a new machine.
 *
 *   npm run bench:http-stack
 *   BENCH_REQUESTS=20000 BENCH_CLIENTS=64 npm run bench:http-stack
 *   BENCH_SMALL=1 npm run bench:http-stack               # 5,000 requests from 16 clients
 */
import 'reflect-metadata';
import {
  Body,
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  Injectable,
  Module,
  Post,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { validationExceptionFactory } from '../src/common/errors/validation-errors';
import { CreateEscalationDto } from '../src/modules/tickets/escalation.dto';
import { cpuMsOf } from './cpu-meter';
import { drive, escalation } from './escalations';
import { apiClient, benchSize, freePort, pct, table } from './support';

const N = benchSize('BENCH_REQUESTS', 20_000, 5_000);
const C = benchSize('BENCH_CLIENTS', 64, 16);
const API_CPU_MS = Number(process.env.BENCH_API_CPU_MS ?? 1.23);
const ROUNDS = 2;

@Injectable()
class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const headers = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string> }>().headers;
    return (headers.authorization ?? '').startsWith('Bearer hk_');
  }
}

@Controller('v1')
class ProbeController {
  private n = 0;

  /** What intake answers, in shape and size: the ticket as the API shows it. */
  @Post('escalations')
  @HttpCode(201)
  @UseGuards(BearerGuard)
  create(@Body() body: CreateEscalationDto) {
    this.n += 1;
    return {
      id: `00000000-0000-4000-8000-${String(this.n).padStart(12, '0')}`,
      companyId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      externalId: body.externalId,
      subject: body.subject,
      summary: body.summary,
      transcript: body.transcript,
      botAttempts: body.botAttempts ?? [],
      requiredSkills: body.requiredSkills.map((s) => ({ ...s, requestedLevel: s.minLevel })),
      language: body.language,
      priority: body.priority,
      effectivePriority: body.priority,
      status: 'open',
      customerRef: body.customerRef ?? null,
      metadata: body.metadata ?? {},
      slaDeadline: new Date().toISOString(),
      createdAt: new Date().toISOString(),
      claims: [],
    };
  }
}

@Module({ controllers: [ProbeController], providers: [BearerGuard] })
class ProbeModule {}

const PIPE = () =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationExceptionFactory,
  });

async function serve(adapter: 'express' | 'fastify', port: number): Promise<void> {
  let app;
  if (adapter === 'express') {
    app = await NestFactory.create(ProbeModule, { logger: false });
  } else {
    // Loaded only here: the Express server never touches it.
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(ProbeModule, new FastifyAdapter({ bodyLimit: 1_048_576 }), {
      logger: false,
    });
  }
  app.useGlobalPipes(PIPE());
  await app.listen(port, '127.0.0.1');
  console.log('listening');
}

function start(adapter: string, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [__filename, 'serve', adapter, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve(proc);
    });
    proc.on('exit', (code) => reject(new Error(`${adapter} exited with ${code}`)));
  });
}

async function load(port: number, offset: number) {
  const http = apiClient(`http://127.0.0.1:${port}`, C);
  const headers = { Authorization: `Bearer hk_live_${'x'.repeat(43)}` };
  const bodies = Array.from({ length: N }, (_, i) => escalation(`s-${offset + i}`, i));
  const latencies: number[] = [];
  let failed = 0;
  const seconds = await drive(N, C, async (i) => {
    const s = performance.now();
    const { response } = await http.POST('/v1/escalations', { headers, body: bodies[i] });
    latencies.push(performance.now() - s);
    if (response.status !== 201) failed += 1;
  });
  return { seconds, latencies, failed };
}

async function main() {
  const results = new Map<
    string,
    { cpu: number; requests: number; seconds: number; p99: number[] }
  >();
  const servers: ChildProcess[] = [];
  try {
    for (const adapter of ['express', 'fastify'] as const) {
      const port = await freePort();
      const proc = await start(adapter, port);
      servers.push(proc);
      await load(port, 0); // warm-up: JIT, sockets
      results.set(adapter, { cpu: 0, requests: 0, seconds: 0, p99: [] });
      (proc as ChildProcess & { port?: number }).port = port;
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, adapter] of (['express', 'fastify'] as const).entries()) {
        const proc = servers[i] as ChildProcess & { port: number };
        const before = cpuMsOf(proc.pid!)!;
        const run = await load(proc.port, (round + 1) * N);
        if (run.failed > 0) throw new Error(`${adapter}: ${run.failed} requests failed`);
        const r = results.get(adapter)!;
        r.cpu += cpuMsOf(proc.pid!)! - before;
        r.requests += N;
        r.seconds += run.seconds;
        r.p99.push(pct(run.latencies, 99));
      }
    }
  } finally {
    for (const s of servers) s.kill('SIGTERM');
  }
  const perReq = (a: string) => results.get(a)!.cpu / results.get(a)!.requests;
  table(
    ['adapter', 'requests', 'req/s', 'p99 ms (per round)', 'CPU ms/req'],
    [...results].map(([a, r]) => [
      a,
      r.requests,
      (r.requests / r.seconds).toFixed(0),
      r.p99.map((x) => x.toFixed(1)).join(', '),
      perReq(a).toFixed(3),
    ]),
  );
  const saved = perReq('express') - perReq('fastify');
  const share = saved / API_CPU_MS;
  console.log(
    `\nRESULT http-stack: express=${perReq('express').toFixed(3)}ms fastify=${perReq('fastify').toFixed(3)}ms ` +
      `per request; fastify saves ${saved.toFixed(3)}ms = ${(share * 100).toFixed(1)} % of the API's ` +
      `${API_CPU_MS} ms per escalation on Express (the whole API: 15 % less on Fastify, ADR 0017)`,
  );
}

if (process.argv[2] === 'serve') {
  void serve(process.argv[3] as 'express' | 'fastify', Number(process.argv[4]));
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
