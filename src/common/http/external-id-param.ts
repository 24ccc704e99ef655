import { Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';

const EXTERNAL_ID = /^[A-Za-z0-9._:/-]{1,200}$/;

/** The bot's id for a conversation (as sent in the escalation); a 400 naming it otherwise. */
class ExternalIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!EXTERNAL_ID.test(value)) {
      throw DomainError.validation([
        {
          field: 'externalId',
          messages: ['externalId must be 1-200 characters of letters, digits and . _ : / -'],
        },
      ]);
    }
    return value;
  }
}

export const ExternalIdParam = () => Param('externalId', new ExternalIdPipe());
export const EXTERNAL_ID_DOC = ApiParam({
  name: 'externalId',
  description: "Your bot's id for the conversation, as sent in the escalation (URL-encoded)",
  example: 'conv-8842',
});
