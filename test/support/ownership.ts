import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DECLARED_EXCEPTIONS,
  FUNCTION_OWNERS,
  TABLE_OWNERS,
} from '../../src/database/table-owners';

/** One place where a module's SQL names a table or function another module owns. */
export interface Violation {
  /** `tickets/ticket-work.service.ts` or `function claim_next_ticket`. */
  where: string;
  module: string;
  names: string;
  owner: string;
}

const owners: Record<string, string> = { ...TABLE_OWNERS, ...FUNCTION_OWNERS };
const names = Object.keys(owners).sort((a, b) => b.length - a.length);
// A table after the keywords that name one, or a function call.
const TABLE_REF = new RegExp(
  `\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ONLY)\\s+(${names.join('|')})\\b|\\b(${Object.keys(FUNCTION_OWNERS).join('|')})\\s*\\(`,
  'gi',
);
// SQL here is written in upper case: prose and HTTP verbs ("DELETE") do not look like this.
const SQL_HINT = /\b(SELECT|INSERT INTO|DELETE FROM|TRUNCATE)\b|\bUPDATE [a-z_]+\b/;
// String literals: template literals (no nesting of backticks), single and double quotes.
const LITERALS = /`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g;

/** The tables and functions a piece of SQL names (lower case), deduplicated. */
export function namesIn(sql: string): string[] {
  const found = new Set<string>();
  for (const m of sql.matchAll(TABLE_REF)) found.add((m[1] ?? m[2]).toLowerCase());
  return [...found];
}

/** The SQL string literals of a TypeScript source. */
export function sqlLiterals(source: string): string[] {
  return (source.match(LITERALS) ?? []).filter((s) => SQL_HINT.test(s));
}

const excepted = (where: string, name: string) =>
  DECLARED_EXCEPTIONS.some(
    (e) => e.where === where && (e.names as readonly string[]).includes(name),
  );

/**
 * Checks sources (module-relative path → text) against the map: a literal naming another
 * module's table or function, an entity of another module, is a violation unless declared.
 */
export function checkSources(files: Record<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [path, source] of Object.entries(files)) {
    const module = path.split('/')[0];
    const foreign = new Set<string>();
    for (const literal of sqlLiterals(source)) {
      for (const name of namesIn(literal)) if (owners[name] !== module) foreign.add(name);
    }
    // TypeORM: an entity class imported from another module's folder.
    for (const m of source.matchAll(/from '\.\.\/([a-z-]+)\/[a-z-]+\.entity'/g)) {
      if (m[1] !== module) foreign.add(`${m[1]} entity`);
    }
    for (const name of foreign) {
      if (excepted(path, name)) continue;
      out.push({ where: path, module, names: name, owner: owners[name] ?? name.split(' ')[0] });
    }
  }
  return out;
}

/**
 * Files other than repositories that hold SQL: services, handlers, controllers keep the rules
 * and the transactions, repositories the statements (docs/architecture.md, "Data access").
 */
export function sqlOutsideRepositories(files: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [path, source] of Object.entries(files)) {
    if (path.endsWith('.repository.ts')) continue;
    const found = [...sqlLiterals(source), ...(source.match(TYPEORM_ACCESS) ?? [])];
    if (found.length > 0) out.push(`${path}: ${found[0].replace(/\s+/g, ' ').slice(0, 60)}`);
  }
  return out;
}

// TypeORM's own data access (entities' repositories, query builders, manager shortcuts).
const TYPEORM_ACCESS =
  /\b(?:getRepository|createQueryBuilder|InjectRepository)\b|\bem\.(?:insert|update|delete|save|upsert|find\w*)\(/g;

/** Checks SQL functions (name → body) the same way: a function may name its owner's tables. */
export function checkFunctions(functions: Record<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [fn, body] of Object.entries(functions)) {
    const module = owners[fn];
    if (!module) {
      out.push({ where: `function ${fn}`, module: '?', names: fn, owner: 'no owner in the map' });
      continue;
    }
    for (const name of namesIn(body)) {
      if (owners[name] === module || name === fn || excepted(`function ${fn}`, name)) continue;
      out.push({ where: `function ${fn}`, module, names: name, owner: owners[name] });
    }
  }
  return out;
}

/** Every non-spec TypeScript file under src/modules, keyed `module/relative/path.ts`. */
export function moduleSources(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts')) {
        files[relative(root, path)] = readFileSync(path, 'utf8');
      }
    }
  };
  walk(root);
  return files;
}
