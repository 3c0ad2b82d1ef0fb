// The notifier port: what the workflows tell people, independent of the channel.
// Slack, Teams and email implement it; the log notifier is the default.

export interface Person {
  memberId: string;
  externalId: string;
  name: string;
  role: 'primary_owner' | 'owner' | 'admin' | 'member';
  seatTier: 'standard' | 'premium';
  email: string | null;
  slackUserId: string | null;
  teamsUserId: string | null;
}

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'untracked';
export type DecisionKind = 'upgrade_seat' | 'enable_extra_usage' | 'deny' | 'increase_limit';

export interface RequestView {
  requestId: string;
  workflowId: string;
  orgId: string;
  orgName: string;
  requester: Person;
  /** The seat the member had when asking. */
  seatTier: 'standard' | 'premium';
  requestedAt: string;
  note: string | null;
  status: RequestStatus;
  decision: DecisionKind | null;
  /** Member cap set when approving extra usage ("12.50"), null = unlimited. */
  decisionCap: string | null;
  reason: string | null;
  decidedBy: Person | null;
  decidedAt: string | null;
  /** The member's latest earlier request that was denied, shown to whoever decides this one. */
  previousDenial: { at: string; by: Person | null; reason: string | null } | null;
  /**
   * What the decider weighs, read when the view is built (decimal dollar strings):
   * the member's extra spend this month (org's timezone), their cap (null = unlimited)
   * and what is left of the org's monthly cap after spend and holds (null = no org cap).
   * extraUsage: whether extra usage is on for them at all; off, their cap means nothing
   * ("Extra usage off", never "Unlimited"). Unset in views built before it existed.
   */
  context?: { monthToDateExtra: string; cap: string | null; orgRemaining: string | null; extraUsage?: boolean };
  /**
   * Set for a request that mirrors a spend limit increase request of the org's Anthropic
   * organization (docs/claude.md): decided with "Increase limit" (amount and period) or
   * "Deny"; the amounts are USD decimal strings from its spend summary when found.
   */
  anthropic?: AnthropicRequestFacts;
  /**
   * Set for a request to raise a limit (the member was stopped by a cap): which cap
   * (their own, their seat tier's, the organisation's), its amount when asked and what
   * "Increase limit" is pre-filled with (USD decimal strings). Owners decide it.
   */
  raise?: { scope: 'member' | 'tier' | 'org'; from: string; suggested: string };
  /** increase_limit: the period of the limit written (decisionCap is its amount). */
  decisionPeriod?: 'daily' | 'weekly' | 'monthly' | null;
  /** Denied: when the member may ask again (REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES after the denial); set when the requester is told. */
  mayAskAgainAt?: string | null;
}

export interface AnthropicRequestFacts {
  /** The period the member was blocked on. */
  period: 'daily' | 'weekly' | 'monthly';
  /** Their effective limit for that period, null = none known. */
  limit: string | null;
  /** Spent in the period so far. */
  spent: string | null;
  /** Where the limit comes from: user, seat_tier, rbac_group, organization … */
  source: string | null;
  /** What "Increase limit" is pre-filled with. */
  suggestedAmount: string;
}

export type AlertKind =
  | 'org_cap_threshold'
  | 'tier_cap_reached'
  | 'balance_low'
  | 'reload_succeeded'
  | 'reload_failed'
  | 'reload_limit_reached'
  | 'seat_limit_reached'
  | 'member_cap_reached'
  | 'member_reactivated'
  /** To owners: a member of a connected org crossed a threshold of their effective limit at Anthropic. */
  | 'claude_limit_threshold'
  /** To owners: a month closed into an invoice (Enterprise) or a statement (Team). */
  | 'invoice_ready'
  /** To operators only (src/notify/operators.ts): usage kept unpriced. */
  | 'usage_unpriced'
  /** To operators only (src/notify/operators.ts): an org's notice channel keeps failing, or delivers again. */
  | 'notice_channel_failing'
  | 'notice_channel_recovered';

export interface AlertView {
  kind: AlertKind;
  orgId: string;
  orgName: string;
  /** One line a person reads first. */
  title: string;
  text: string;
  /** Label → value pairs for a card or an email table. */
  facts: Record<string, string>;
  /** The member the alert is about (seat limit, member cap, reactivation), on their own copy and on the owners' copy alike. */
  member?: Person;
  /**
   * Who this copy is for: the owners (their channel or DMs, with "Adjust limit" on a cap alert)
   * or the member it is about. Unset (alerts stored before it existed): owners unless `member` is set.
   */
  audience?: 'owners' | 'member';
  /** Offer the "Request extra usage" action. */
  canRequestExtraUsage?: boolean;
}

/** An owners' copy (channel or owners' DMs), as opposed to the member's own. */
export const isOwnersAlert = (a: AlertView): boolean => (a.audience ? a.audience === 'owners' : !a.member);

export interface DigestView {
  orgId: string;
  orgName: string;
  at: string;
  requests: RequestView[];
}

export interface SendOptions {
  /**
   * Names this notice across the activity's retries ("alert:<delivery id>"): a channel
   * that already delivered it is skipped (src/notify/fanout.ts).
   */
  deliveryKey?: string;
  /**
   * Set by the fan-out: a channel calls it for each recipient it reached, so a retry
   * after a partial failure skips them (channels that send to everyone at once need not).
   */
  delivered?: (memberId: string) => Promise<void>;
}

export interface Notifier {
  /** A new request: every admin and owner gets a copy with the decision actions. */
  requestOpened(request: RequestView, admins: Person[], opts?: SendOptions): Promise<void>;
  requestReminder(request: RequestView, admins: Person[], opts?: SendOptions): Promise<void>;
  /** Decided, expired or cancelled: update every admin's copy and tell the requester. */
  requestClosed(request: RequestView, admins: Person[], opts?: SendOptions): Promise<void>;
  alert(alert: AlertView, to: Person[], opts?: SendOptions): Promise<void>;
  digest(digest: DigestView, admins: Person[], opts?: SendOptions): Promise<void>;
}
