/*
 * @nestjs/swagger writes OpenAPI 3.0, whose `nullable: true` cannot make a $ref nullable: the
 * plugin's `pay: MoneyDto | null` became `{ nullable, allOf: [MoneyDto] }`, which a strict
 * validator (and Prism) reads as "never null". OpenAPI 3.1 schemas are JSON Schema 2020-12, where
 * null is a type like any other; this rewrites the built document to 3.1.
 */

type Json = Record<string, unknown>;

const COMPOSITE = ['$ref', 'allOf', 'oneOf', 'anyOf'];
// Kept on the outer schema when a nullable composite is wrapped in anyOf.
const ANNOTATIONS = ['title', 'description', 'default', 'example', 'examples', 'deprecated'];

function nullable(schema: Json): void {
  delete schema.nullable;
  if (!COMPOSITE.some((k) => k in schema) && typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    return;
  }
  const inner: Json = {};
  for (const key of Object.keys(schema)) {
    if (ANNOTATIONS.includes(key)) continue;
    inner[key] = schema[key];
    delete schema[key];
  }
  // The plugin's `{ type: object, allOf: [{ $ref }] }` is just the $ref.
  const allOf = inner.allOf as Json[] | undefined;
  const bare =
    allOf?.length === 1 && Object.keys(inner).every((k) => k === 'allOf' || k === 'type')
      ? allOf[0]
      : inner;
  schema.anyOf = [bare, { type: 'null' }];
}

function walk(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(walk);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Json;
  for (const value of Object.values(object)) walk(value);
  if (object.nullable === true) nullable(object);
  else if (object.nullable === false) delete object.nullable;
}

/** Rewrites a 3.0 document built by @nestjs/swagger to OpenAPI 3.1, in place. */
export function toOpenApi31<T extends { openapi: string }>(document: T): T {
  walk(document);
  document.openapi = '3.1.0';
  return document;
}
