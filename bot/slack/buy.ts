// What an owner reads after "Buy balance": the payment link (Stripe Checkout) or,
// with the ledger-only provider, the credit. Card details never pass through Slack.
import { formatUsd } from '../../src/domain/money.js';
import type { PurchaseOutcome } from '../../src/payments/purchases.js';
import { dollars } from './views/blocks.js';

export function purchaseMessage(outcome: PurchaseOutcome): string {
  if (outcome.kind === 'checkout') {
    return `:credit_card: Pay ${dollars(formatUsd(outcome.amountNanos))} at <${outcome.checkoutUrl}|this secure Stripe Checkout page>. `
      + 'The balance is credited as soon as the payment goes through, and the card you pay with is kept for auto-reload.';
  }
  return `:white_check_mark: Added ${dollars(formatUsd(outcome.entry.amountNanos))}. The prepaid balance is now ${dollars(formatUsd(outcome.entry.balanceAfterNanos))}.`;
}
