import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { Role } from '../../src/common/auth/actor';
import { IS_PUBLIC_KEY, ROLES_KEY } from '../../src/common/auth/decorators';

export interface RouteInfo {
  /** e.g. "DELETE /v1/companies/me/api-keys/:id" */
  key: string;
  method: string;
  path: string;
  isPublic: boolean;
  roles: Role[] | undefined;
}

const join = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');

/** Every route the app serves, read from controller metadata (so none can be forgotten). */
export function listRoutes(app: INestApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base = [Reflect.getMetadata(PATH_METADATA, metatype) ?? ''].flat()[0] as string;
    const proto = Object.getPrototypeOf(instance);
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const full = join(base, [path].flat()[0] as string);
      const targets = [handler, metatype];
      routes.push({
        key: `${method} ${full}`,
        method,
        path: full,
        isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) ?? false,
        roles: reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      });
    }
  }
  return routes.sort((a, b) => a.key.localeCompare(b.key));
}

/** A concrete URL for a route pattern, with every :param a fresh UUID. */
export const concretePath = (path: string) => path.replace(/:[A-Za-z]+/g, () => randomUUID());
