import { ValidateIf } from 'class-validator';

/**
 * Like @IsOptional() but only for an absent field: an explicit null is validated (and refused)
 * instead of slipping through as "not given" into code that expects a value.
 */
export const IsOmittable = () => ValidateIf((_object, value) => value !== undefined);
