import { WebhookEventType, WebhookPayload } from './webhook-payload';

/*
 * One example body per webhook event, typed with the payload types: a change of an event's
 * shape does not compile until its example follows. docs/api.md ("Webhooks") shows these very
 * bodies, and test/webhook-payloads.e2e-spec.ts holds both the docs and the events the real code
 * sends to them (same keys, same value types).
 */

const companyId = '0f8d3c1e-2b7a-4e59-8c6d-91a4b3e2f705';
const ticket = {
  ticketId: '5b0c2a4e-8f0e-4c61-9a43-2f1d7c9b6e10',
  companyId,
  externalId: 'conv_8812',
};
const agentId = '9e4a7b21-6c3d-4f80-b5e2-3d1c0a9f8b64';
const claimId = '2c7e9f14-0a5b-4d38-9e61-7b3a2d5c8f09';

export const WEBHOOK_EXAMPLES: { [T in WebhookEventType]: WebhookPayload<T> } = {
  'ticket.claimed': {
    id: 'a3f1c9e2-7b4d-4e8a-9c15-6d2e0b8f4a71',
    type: 'ticket.claimed',
    createdAt: '2026-11-26T09:02:11.480Z',
    data: { ...ticket, sequence: 48213, agentId, claimId, data: {} },
  },
  'ticket.released': {
    id: 'b7e2d4a1-3c9f-4b06-8e5a-1f7c2d9b3e84',
    type: 'ticket.released',
    createdAt: '2026-11-26T09:05:40.002Z',
    data: {
      ...ticket,
      sequence: 48240,
      agentId,
      claimId,
      data: { releasedBy: 'agent', reason: 'Needs the fraud team' },
    },
  },
  'ticket.resolved': {
    id: 'c4a9e7f3-5d2b-4c81-a6e9-3b8f1d0c7a25',
    type: 'ticket.resolved',
    createdAt: '2026-11-26T09:14:03.120Z',
    data: {
      ...ticket,
      sequence: 48297,
      agentId,
      claimId,
      data: { resolutionSummary: 'Refund re-issued', pay: { amountMinor: 450, currency: 'EUR' } },
    },
  },
  'ticket.reopened': {
    id: 'd9b3f5c8-1e7a-4d24-b0f6-8a4c2e9d1b53',
    type: 'ticket.reopened',
    createdAt: '2026-11-26T15:40:27.915Z',
    data: { ...ticket, sequence: 48355, agentId, claimId, data: { reason: 'Customer wrote back' } },
  },
  'ticket.sla_breached': {
    id: 'e1c6a8d2-9f3b-4a57-8d1e-5c7b3f0a9e62',
    type: 'ticket.sla_breached',
    createdAt: '2026-11-26T09:01:00.377Z',
    data: {
      ...ticket,
      sequence: 48190,
      agentId: null,
      claimId: null,
      data: {
        slaDeadline: '2026-11-26T09:01:00.000Z',
        priorityRaisedTo: 'high',
        relaxedSkills: [{ skill: 'refunds', from: 2, to: 1 }],
      },
    },
  },
  'ticket.message': {
    id: '3e8b1d6a-4c2f-4a97-b8e0-6f1d9c3a5b27',
    type: 'ticket.message',
    createdAt: '2026-11-26T09:06:12.331Z',
    data: {
      ...ticket,
      sequence: 48251,
      agentId,
      claimId,
      data: {
        id: '7a2c4e91-5b8d-4f36-a1e0-9d3b6c8f2e45',
        messageId: '7a2c4e91-5b8d-4f36-a1e0-9d3b6c8f2e45',
        botMessageId: null,
        number: 4,
        author: 'agent',
        body: 'I have re-issued the refund; it should reach your card within 3 days.',
        sentAt: '2026-11-26T09:06:12.331Z',
      },
    },
  },
  'ticket.withdrawn': {
    id: '4f9c2e7b-6d1a-4b58-9e3c-8a0f2d5b7c16',
    type: 'ticket.withdrawn',
    createdAt: '2026-11-26T09:20:45.118Z',
    data: {
      ...ticket,
      sequence: 48316,
      agentId,
      claimId,
      data: {
        reason: 'The customer closed the chat',
        paid: true,
        pay: { amountMinor: 450, currency: 'EUR' },
      },
    },
  },
  'ticket.transferred': {
    id: '6b3d8f2a-9e4c-4d71-a5b6-1c7e0f9a3d82',
    type: 'ticket.transferred',
    createdAt: '2026-11-26T09:08:30.540Z',
    data: {
      ...ticket,
      sequence: 48268,
      agentId,
      claimId,
      data: {
        requiredSkills: [{ skill: 'chargebacks', minLevel: 3 }],
        note: 'A chargeback was opened; needs the chargebacks team.',
      },
    },
  },
  ping: {
    id: 'f5d2b9e4-6a1c-4f38-9b7d-2e8a4c6f1d09',
    type: 'ping',
    createdAt: '2026-11-26T08:55:00.000Z',
    data: { companyId },
  },
};
