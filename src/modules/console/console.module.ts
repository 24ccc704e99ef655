import { DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The built web console (web/, built by `npm run build` into dist/web). From dist/src/modules/
 * console this is dist/web. Run from the sources (ts-jest) it is web/ itself, which holds no
 * `assets/` until built there, so tests never serve it and unknown paths stay 404.
 */
export const CONSOLE_DIR = resolve(__dirname, '..', '..', '..', 'web');

/**
 * Paths that are never the console's: the API, its document, probes, metrics, the queue
 * dashboard. Everything else that is a GET and not a file answers the
 * console's index.html (its router decides), so a reload on /agent/desk works.
 */
const NOT_CONSOLE = [
  '/v1/{*rest}',
  '/docs',
  '/docs/{*rest}',
  '/health',
  '/health/{*rest}',
  '/metrics',
  '/admin/{*rest}',
  // A missing file (an old tab asking for a chunk of the previous build) is a 404, not the page.
  '/assets/{*rest}',
];

export class ConsoleModule {
  /** Serves the console when it was built; otherwise nothing (the API works alone). */
  static register(dir = CONSOLE_DIR): DynamicModule[] {
    if (!existsSync(join(dir, 'index.html')) || !existsSync(join(dir, 'assets'))) return [];
    return [
      ServeStaticModule.forRoot({
        rootPath: dir,
        exclude: NOT_CONSOLE,
        serveStaticOptions: {
          // Hashed file names: cache for a year; index.html must always be asked again.
          setHeaders: (res, path) => {
            res.setHeader(
              'Cache-Control',
              path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
            );
          },
        },
      }),
    ];
  }
}
