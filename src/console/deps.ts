// What the console's pages need, passed in by the server (never imported globally).
import type { Db } from '../db/client.js';
import type { OidcVerifier } from '../identity/oidc.js';
import type { Dependencies } from '../observability/dependencies.js';
import type { Sessions } from '../identity/sessions.js';
import type { Purchases } from '../payments/purchases.js';
import type { RequestService } from '../services/requests.js';
import type { AnthropicDeps } from '../anthropic/connection.js';

import type { SignInThrottle } from '../identity/sign-in-throttle.js';

export interface ConsoleOptions {
  /** Where people reach the service (PUBLIC_URL): https here makes the session cookie Secure. */
  publicUrl?: string;
  /** The operator's privacy notice and terms (plain text; blank lines separate paragraphs). */
  privacyText?: string;
  termsText?: string;
  /** Where people can get a sign-in link here (the chat apps and email that are set up). */
  signInWays?: { slack: boolean; teams: boolean; email: boolean };
  /** The Slack app's slash command (SLACK_COMMAND), named where the sign-in page says how to get a link. */
  slackCommand?: string;
}

export interface ConsoleDeps extends ConsoleOptions {
  db: Db;
  now: () => Date;
  sessions: Sessions;
  oidc: OidcVerifier;
  /** Where an org's identity provider being unreachable is reported (`oidc:<org>` on GET /health). */
  dependencies?: Dependencies;
  /** Requests run on Temporal; without it the console lists requests but cannot ask or decide. */
  requests?: RequestService;
  requestCooldownAfterDenialMs?: number;
  /** Buying Team balance: credited at once (ledger) or through Stripe Checkout. */
  purchases: Purchases;
  /** Keys the CSRF tokens to the session (derived from the session secret). */
  csrfKey: string;
  /** Throttles refused sign-ins, shared with POST /v1/sign-in. */
  signInThrottle: SignInThrottle;
  /** Connected orgs (docs/claude.md): owners edit members' limits at Anthropic; unset: read-only. */
  anthropic?: AnthropicDeps;
}
