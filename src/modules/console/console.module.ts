import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The built web console (web/, built by `npm run build` into dist/web). From dist/src/modules/
 * console this is dist/web, which the tests run too (test/support/jest-resolver.js); an unknown
 * path outside the API answers the console's page.
 */
export const CONSOLE_DIR = resolve(__dirname, '..', '..', '..', 'web');

/**
 * Paths that are never the console's: the API, its document, probes, metrics, the queue
 * dashboard. Everything else that is a GET and not a file answers the console's index.html
 * (its router decides), so a reload on /agent/desk works.
 */
const NOT_CONSOLE = [
  /^\/v1(\/|$)/,
  // The document and its raw forms: with API_DOCS off they must 404, not answer the page.
  /^\/docs(-json|-yaml)?(\/|$)/,
  /^\/health(\/|$)/,
  /^\/metrics$/,
  /^\/admin\//,
  // A missing file (an old tab asking for a chunk of the previous build) is a 404, not the page.
  /^\/assets\//,
];

const CONSOLE_ROOT = Symbol('handoff.consoleRoot');

/** Hashed file names: cache for a year; index.html must always be asked again. */
const cacheControl = (path: string) =>
  path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';

/** Mounts the files (each its own route, listed at start) and the page's fallback route. */
@Injectable()
class ConsoleFiles implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CONSOLE_ROOT) private readonly root: string,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    void fastify.register(fastifyStatic, {
      root: this.root,
      // One route per built file rather than a catch-all, which the page's fallback is.
      wildcard: false,
      index: false,
      setHeaders: (reply, path) => reply.header('Cache-Control', cacheControl(path)),
    });
    fastify.get('/*', (request, reply) => {
      // `//v1/…` is not a console page either (the router does not route it to /v1).
      const path = request.url.split('?')[0].replace(/^\/+/, '/');
      if (NOT_CONSOLE.some((p) => p.test(path))) return reply.callNotFound();
      return reply.header('Cache-Control', cacheControl('index.html')).sendFile('index.html');
    });
  }
}

@Module({})
export class ConsoleModule {
  /** Serves the console when it was built; otherwise nothing (the API works alone). */
  static register(dir = CONSOLE_DIR): DynamicModule[] {
    if (!existsSync(join(dir, 'index.html')) || !existsSync(join(dir, 'assets'))) return [];
    return [
      {
        module: ConsoleModule,
        providers: [{ provide: CONSOLE_ROOT, useValue: dir }, ConsoleFiles],
      },
    ];
  }
}
