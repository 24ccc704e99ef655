/** `a,b` → ['a', 'b'] (a repeated parameter counts too); anything else is left to the validators. */
export const commaList = ({ value }: { value: unknown }): unknown => {
  const parts = Array.isArray(value) ? value : [value];
  return parts.every((p) => typeof p === 'string')
    ? (parts as string[]).flatMap((p) => p.split(',')).map((p) => p.trim())
    : value;
};

/**
 * OpenAPI's words for `?status=pending,failed`: an array in one parameter, comma-separated.
 * (Parameter-level keys; @nestjs/swagger passes them through from the property to the parameter.)
 */
export const COMMA_SEPARATED = { style: 'form', explode: false } as object;
