import { EventDto } from './event.dto';
import { EventRow } from './events.repository';

export function toEventDto(row: EventRow): EventDto {
  return {
    id: Number(row.id),
    type: row.type,
    occurredAt: new Date(row.occurred_at),
    companyId: row.company_id ?? row.admins_company_id ?? null,
    agentId: row.agent_id,
    data: row.data,
  };
}
