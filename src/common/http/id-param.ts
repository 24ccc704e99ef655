import { ArgumentMetadata, Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';

/**
 * ParseUUIDPipe, answering the UUID in lowercase as PostgreSQL writes one back, so a path id
 * sent in uppercase compares equal to the ids read from rows.
 */
class LowercaseUuidPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return (await super.transform(value, metadata)).toLowerCase();
  }
}

/** A UUID path parameter; anything else is a 400 that names the parameter. */
export const IdParam = (name = 'id') =>
  Param(
    name,
    new LowercaseUuidPipe({
      exceptionFactory: () =>
        DomainError.validation([{ field: name, messages: [`${name} must be a UUID`] }]),
    }),
  );
