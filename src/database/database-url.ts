export const DEFAULT_DATABASE_NAME = 'handoff';

export function defaultDatabaseUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/${DEFAULT_DATABASE_NAME}`;
}

/** The same server, another database (used to CREATE DATABASE from the maintenance db). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}
