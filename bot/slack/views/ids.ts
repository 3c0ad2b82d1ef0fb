// Every action_id, callback_id and block_id the app's listeners match on, in one
// place so views and listeners cannot drift apart.

export const ACTION = {
  /** Member: open a request for more usage (value unused: the clicking user is the requester). */
  requestExtraUsage: 'request_extra_usage',
  /** Member: their own choice to continue on extra usage when the seat's included usage runs out; value 'on' | 'off'. */
  setContinue: 'member_set_continue',
  /** Member stopped by a cap: ask the owners to raise it (value unused: the clicking user asks). */
  requestRaiseLimit: 'request_raise_limit',
  /** Admin decisions on a request; value = request id. */
  upgradeSeat: 'decide_upgrade_seat',
  enableExtraUsage: 'decide_enable_extra_usage',
  deny: 'decide_deny',
  /** A request from Claude (a connected org): a new spend limit, amount and period. */
  increaseLimit: 'decide_increase_limit',
  /** App Home navigation (prefixes: action ids are unique within a block); value = JSON {tab, page}. */
  homeTab: 'home_tab',
  homePage: 'home_page',
  /** Owner controls (App Home "Usage"). */
  setExtraUsage: 'settings_set_extra_usage',
  adjustLimit: 'settings_adjust_limit',
  editAutoReload: 'settings_edit_auto_reload',
  /** Team owners: open "Buy balance" (answered with a payment link, never card details). */
  buyBalance: 'settings_buy_balance',
  alertChannel: 'settings_alert_channel',
  alertsByDm: 'settings_alerts_by_dm',
  /** In the "Adjust limit" modal. */
  setUnlimited: 'limit_set_unlimited',
  /** In a member's "Adjust limit" modal: their own extra-usage switch; value 'on' | 'off'. */
  setMemberExtraUsage: 'limit_set_member_extra_usage',
  /** Usage settings: who gets extra usage; value 'all_members' | 'selected_members'. */
  setScope: 'settings_set_scope',
  /** In a member's "Adjust limit" modal: their seat tier, applied once confirmed. */
  setSeatTier: 'limit_set_seat_tier',
  /** Paging the owners' Audit log tab; value = JSON {before} (the ledger's cursor, null = latest). */
  auditOlder: 'audit_older',
  auditNewer: 'audit_newer',
} as const;

export const VIEW = {
  enableExtraUsage: 'decision_enable_extra_usage',
  deny: 'decision_deny',
  increaseLimit: 'decision_increase_limit',
  /** A member's request with an optional note for the admins. */
  requestNote: 'request_note',
  /** A member's request to raise a limit: the new limit (pre-filled with the suggestion) and a note. */
  raiseLimit: 'raise_limit',
  adjustLimit: 'adjust_limit',
  autoReload: 'auto_reload',
  buyBalance: 'buy_balance',
  done: 'done',
} as const;

export const BLOCK = {
  requestButton: 'request_extra_usage',
  requestSent: 'request_sent',
  continueChoice: 'continue_choice',
  capInput: 'cap',
  /** "No member limit": unlimited is chosen, never implied by an empty amount. */
  unlimitedInput: 'unlimited',
  noteInput: 'note',
  reasonInput: 'reason',
  amountInput: 'amount',
  periodInput: 'period',
  autoReloadEnabled: 'auto_reload_enabled',
  thresholdInput: 'threshold',
  reloadAmountInput: 'reload_amount',
  buyAmountInput: 'buy_amount',
  notice: 'notice',
} as const;

/** Every block of one request's card starts with this, so a digest page can update one request in place. */
export const requestBlockId = (requestId: string, part: string) => `req:${requestId}:${part}`;
export const isRequestBlock = (blockId: string | undefined, requestId: string) => !!blockId && blockId.startsWith(`req:${requestId}:`);

/** One action id per tab / page button: Slack wants action ids unique within a block. */
export const homeTabAction = (tab: string) => `${ACTION.homeTab}_${tab}`;
export const homePageAction = (dir: 'prev' | 'next') => `${ACTION.homePage}_${dir}`;
export const HOME_NAVIGATION = new RegExp(`^(${ACTION.homeTab}|${ACTION.homePage})_`);
