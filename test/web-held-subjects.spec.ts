import { QueryClient } from '@tanstack/query-core';
import { forgetSubjects, leftName, rememberSubjects } from '../web/src/api/held-subjects';
import { keys } from '../web/src/api/query-keys';

/**
 * The name a "taken back" or "withdrawn" notice gives a ticket (web/src/api/held-subjects.ts):
 * its subject, even when the held tickets were read again, without it, before its event came.
 */
describe('the name of a ticket that left the agent', () => {
  const client = new QueryClient();
  const held = (id: string, subject: string) => ({ id, subject }) as never;
  afterEach(() => {
    client.clear();
    forgetSubjects();
  });

  it('is its subject, and it leaves the held list', () => {
    client.setQueryData(keys.myTickets, [held('t1', 'Refund'), held('t2', 'Lost parcel')]);
    rememberSubjects([held('t1', 'Refund'), held('t2', 'Lost parcel')]);
    expect(leftName(client, 't1', { externalId: 'conv-1' })).toBe('“Refund”');
    expect(client.getQueryData<{ id: string }[]>(keys.myTickets)?.map((t) => t.id)).toEqual(['t2']);
  });

  it('is its subject when the list was read again without it before the event', () => {
    rememberSubjects([held('t1', 'Refund')]);
    rememberSubjects([]); // read again: the rule had already taken it back
    client.setQueryData(keys.myTickets, []);
    expect(leftName(client, 't1', { externalId: 'conv-1' })).toBe('“Refund”');
  });

  it('is the conversation id for a ticket never seen held, and none survives the session', () => {
    expect(leftName(client, 't9', { externalId: 'conv-9' })).toBe('conv-9');
    rememberSubjects([held('t1', 'Refund')]);
    forgetSubjects();
    expect(leftName(client, 't1', { externalId: 'conv-1' })).toBe('conv-1');
  });

  it('keeps the last 200 seen', () => {
    rememberSubjects([held('first', 'Oldest')]);
    rememberSubjects(Array.from({ length: 200 }, (_, i) => held(`t${i}`, `S${i}`)));
    expect(leftName(client, 'first', { externalId: 'conv-first' })).toBe('conv-first');
    expect(leftName(client, 't0', {})).toBe('“S0”');
  });
});
