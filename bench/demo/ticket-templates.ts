/**
 * Small templates the bots fill in: per skill a few subjects, what the customer says (in the
 * languages that skill's company serves), what the bot answered and tried, and how an agent
 * might close it. `{order}`, `{amount}`, `{days}`, `{card}` and `{invoice}` are filled per ticket.
 */
export interface Topic {
  subjects: string[];
  customer: Record<string, string[]>;
  bot: string[];
  attempts: string[];
  summary: string[];
  resolutions: string[];
}

export const TOPICS: Record<string, Topic> = {
  shipping: {
    subjects: [
      'Parcel stuck in transit',
      'Tracking shows delivered, nothing arrived',
      'Late delivery for a gift',
    ],
    customer: {
      en: [
        'My order {order} has not moved in {days} days.',
        'Tracking says delivered but there is no parcel.',
      ],
      es: [
        'Mi pedido {order} lleva {days} días sin moverse.',
        'Dice entregado pero no he recibido nada.',
      ],
    },
    bot: ['I can see the parcel with the carrier. Let me check the last scan.'],
    attempts: ['Checked carrier tracking', 'Offered the standard 5-day wait'],
    summary: [
      'Order {order}: no carrier scan for {days} days; customer wants a reshipment or refund.',
    ],
    resolutions: [
      'Opened a carrier trace and reshipped {order} express.',
      'Confirmed the neighbour signed; customer found it.',
    ],
  },
  returns: {
    subjects: [
      'Return label not working',
      'Exchange for a different size',
      'Return outside the 30-day window',
    ],
    customer: {
      en: [
        'The return label for {order} is rejected at the drop-off point.',
        'I need a size up for {order}.',
      ],
      es: [
        'La etiqueta de devolución de {order} no funciona.',
        'Quiero cambiar la talla de {order}.',
      ],
    },
    bot: ['I generated a new return label for you.'],
    attempts: ['Regenerated the return label', 'Explained the returns policy'],
    summary: ['Return of {order} blocked: label rejected twice; customer is frustrated.'],
    resolutions: [
      'Issued a prepaid courier pickup for {order}.',
      'Approved the exchange as a goodwill exception.',
    ],
  },
  refunds: {
    subjects: [
      'Refund not received',
      'Partial refund instead of full',
      'Refund to an expired card',
    ],
    customer: {
      en: [
        'I was promised a refund of {amount} {days} days ago.',
        'Only part of {amount} came back.',
      ],
      es: [
        'Me prometieron un reembolso de {amount} hace {days} días.',
        'Solo me devolvieron una parte.',
      ],
    },
    bot: ['Refunds take 5–10 business days. Let me look it up.'],
    attempts: ['Looked up the refund status', 'Shared the refund timeline'],
    summary: ['Refund of {amount} for {order} not visible after {days} days.'],
    resolutions: [
      'Refund was stuck in review; released it, reference R-{invoice}.',
      'Re-issued {amount} as store credit at the customer’s request.',
    ],
  },
  order_changes: {
    subjects: ['Change delivery address', 'Cancel part of an order', 'Wrong item ordered'],
    customer: {
      en: [
        'I need to change the address on {order}, it ships tomorrow.',
        'Please cancel one item from {order}.',
      ],
      es: ['Necesito cambiar la dirección de {order}.', 'Quiero cancelar un artículo de {order}.'],
    },
    bot: ['The order is already with the warehouse, so I cannot change it myself.'],
    attempts: ['Tried to edit the order', 'Checked the warehouse status'],
    summary: ['{order} is in picking; customer needs an address change before dispatch.'],
    resolutions: [
      'Caught it at the warehouse and updated the address.',
      'Cancelled the item and refunded {amount}.',
    ],
  },
  complaints: {
    subjects: [
      'Formal complaint about repeated failures',
      'Complaint: rude courier',
      'Threatening to go to the press',
    ],
    customer: {
      en: [
        'This is the third time {order} has gone wrong. I want a manager.',
        'I am filing a formal complaint.',
      ],
      es: [
        'Es la tercera vez que {order} sale mal. Quiero hablar con un responsable.',
        'Quiero poner una reclamación formal.',
      ],
    },
    bot: ['I am sorry to hear that. I will pass this to a person.'],
    attempts: ['Apologised and offered a 10% voucher'],
    summary: ['Escalated complaint: repeated failures on {order}; customer asks for a manager.'],
    resolutions: [
      'Called the customer, refunded shipping and logged the complaint.',
      'Agreed a replacement plus a voucher; customer satisfied.',
    ],
  },
  billing: {
    subjects: [
      'Charged twice this month',
      'Invoice shows the wrong VAT number',
      'Unknown fee on my statement',
    ],
    customer: {
      en: ['I was charged {amount} twice on invoice {invoice}.', 'What is this {amount} fee?'],
      de: [
        'Mir wurden {amount} doppelt berechnet (Rechnung {invoice}).',
        'Was ist diese Gebühr von {amount}?',
      ],
    },
    bot: ['I can see two charges. One may be a pending authorisation.'],
    attempts: ['Explained pending authorisations', 'Sent a copy of the invoice'],
    summary: ['Invoice {invoice}: customer reports a duplicate charge of {amount}.'],
    resolutions: [
      'Voided the duplicate charge on {invoice}.',
      'Corrected the VAT number and re-issued {invoice}.',
    ],
  },
  payments: {
    subjects: ['Card payment keeps failing', 'Transfer not arrived', 'Payment stuck in pending'],
    customer: {
      en: [
        'My transfer of {amount} has been pending for {days} days.',
        'My card {card} is declined every time.',
      ],
      de: [
        'Meine Überweisung über {amount} hängt seit {days} Tagen.',
        'Meine Karte {card} wird immer abgelehnt.',
      ],
    },
    bot: ['Let me check the payment status for you.'],
    attempts: ['Checked the payment status', 'Asked the customer to retry the card'],
    summary: ['Payment of {amount} pending for {days} days; card ending {card}.'],
    resolutions: [
      'Payment was held by a risk rule; released it.',
      'Card issuer blocked it; guided the customer to approve in their bank app.',
    ],
  },
  account_access: {
    subjects: ['Locked out after password reset', '2FA codes not arriving', 'Account frozen'],
    customer: {
      en: ['I reset my password and now I am locked out.', 'The 2FA SMS never arrives.'],
      de: ['Nach dem Passwort-Reset bin ich ausgesperrt.', 'Der 2FA-Code kommt nicht an.'],
    },
    bot: ['For security I cannot unlock accounts, so I am handing you to a colleague.'],
    attempts: ['Sent a password reset link', 'Resent the 2FA code'],
    summary: ['Customer locked out after a reset; identity needs checking before unlock.'],
    resolutions: [
      'Verified identity and unlocked the account.',
      'Moved 2FA to the authenticator app.',
    ],
  },
  chargebacks: {
    subjects: [
      'Dispute on a merchant payment',
      'Chargeback evidence requested',
      'Merchant refuses refund',
    ],
    customer: {
      en: [
        'The merchant never delivered and refuses to refund {amount}.',
        'I want to dispute {amount}.',
      ],
      de: [
        'Der Händler liefert nicht und erstattet {amount} nicht.',
        'Ich möchte {amount} zurückbuchen.',
      ],
    },
    bot: ['Disputes need a specialist. I will pass this on with your details.'],
    attempts: ['Collected the merchant name and date'],
    summary: ['Customer wants to dispute {amount}; merchant unresponsive for {days} days.'],
    resolutions: [
      'Opened a dispute with the evidence; provisional credit of {amount}.',
      'Merchant agreed to refund after we contacted them.',
    ],
  },
  fraud: {
    subjects: [
      'Transactions I did not make',
      'Suspicious login from abroad',
      'Card used after it was lost',
    ],
    customer: {
      en: [
        'There are three payments I did not make, {amount} in total.',
        'Someone logged in from another country.',
      ],
    },
    bot: ['I have frozen your card as a precaution.'],
    attempts: ['Froze the card', 'Logged out all sessions'],
    summary: ['Possible account takeover: {amount} of unrecognised payments on card {card}.'],
    resolutions: [
      'Confirmed fraud, refunded {amount} and issued a new card.',
      'Payments were a family member’s; customer withdrew the claim.',
    ],
  },
};

export const RELEASE_REASONS = [
  'Needs someone with merchant-side access',
  'Customer asked for a callback tomorrow',
  'Waiting on the warehouse; handing over',
  'Out of my depth on this one',
];

export const REOPEN_REASONS = ['Customer wrote back: the replacement never shipped'];
