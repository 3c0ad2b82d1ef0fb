// The audit log in words: one sentence for each entry ("Olivia raised Alice's limit
// from $50.00 to $75.00"), names instead of ids, amounts in cents, instants in the
// org's timezone. The raw entry stays beside it for whoever needs the exact record.
// Pure (no I/O): the names of the members an entry mentions are looked up by the caller
// (memberRefsOf says which).
import { durationWords, formatWhen, tierName, usdCents } from './display.js';
import { formatUsd, parseUsd } from './money.js';

export interface AuditRow {
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
}

/** Names of the members entries mention, by our id and by their external id. */
export interface AuditNames {
  byId: ReadonlyMap<string, string>;
  byExternalId: ReadonlyMap<string, string>;
}

/** Entries of signing in: hidden from the log unless asked for (they would drown the rest). */
export const SIGN_IN_ACTIONS = ['sign_in_link.issue', 'sign_in_link.use', 'sign_in_link.refuse', 'console.sign_in'] as const;

/** Each kind of entry the code writes, as the log's action filter names it. */
export const ACTION_WORDS: Record<string, string> = {
  'anthropic.connected': 'Connected to Claude',
  'anthropic.disconnected': 'Disconnected from Claude',
  'anthropic.spend_limit.user.set': 'Limit in Claude changed',
  'api_key.issue': 'API key issued',
  'api_key.revoke': 'API key revoked',
  'auto_reload.set': 'Auto-reload changed',
  'balance.adjustment': 'Balance adjusted',
  'balance.purchase': 'Balance bought',
  'balance.purchase_started': 'Purchase started at Stripe',
  'balance.reload': 'Balance auto-reloaded',
  'balance_warning.set': 'Low-balance warning changed',
  'cap.member.set': 'Member limit changed',
  'cap.member_product.set': 'Member product limit changed',
  'cap.org.set': 'Spending cap changed',
  'cap.product.set': 'Product limit changed',
  'cap.tier.set': 'Seat tier spending cap changed',
  'claude_code_user.mapped': 'Claude Code user claimed',
  'claude_code_user.remapped': 'Claude Code user moved',
  'claude_code_user.unmapped': 'Claude Code user released',
  'console.sign_in': 'Signed in with the identity provider',
  'extra_usage.member.set': 'Member extra usage turned on or off',
  'extra_usage.set': 'Extra usage turned on or off',
  'gateway.upstream_key.cleared': 'Gateway API key removed',
  'gateway.failure_policy.set': 'Gateway failure policy changed',
  'gateway.failed_open': 'Gateway forwarded unchecked',
  'continue.member.set': 'Continue on extra usage chosen',
  'continue.default.set': 'Continue on extra usage default changed',
  'gateway.upstream_key.set': 'Gateway API key stored',
  'gateway_key.create': 'Gateway key made',
  'gateway_key.revoke': 'Gateway key revoked',
  'gateway_key.used_after_revoke': 'Revoked gateway key used',
  'identity_provider.set': 'Identity provider changed',
  'member.add': 'Member added from Claude',
  'member.chat_link': 'Chat account linked',
  'member.create': 'Member added',
  'member.remove': 'Member removed',
  'member.seat_tier.set': 'Seat changed',
  'member.update': 'Member updated',
  'model_alias.added': 'Model alias added',
  'notice_channel.failing': 'Notice channel failing',
  'notice_channel.recovered': 'Notice channel delivering again',
  'notices.set': 'Notice settings changed',
  'org.create': 'Organisation created',
  'org.update': 'Organisation settings changed',
  'price.added': 'Price added',
  'price_modifier.added': 'Price modifier added',
  'request.closed': 'Request expired or cancelled',
  'request.decided': 'Request decided',
  'request.tracked_again': 'Request tracked again',
  'request.untracked': 'Request no longer tracked',
  'seat_prices.set': 'Seat prices set',
  'seat_tier.set': 'Seat tier changed',
  'sign_in_link.issue': 'Sign-in link issued',
  'sign_in_link.refuse': 'Sign-in link refused',
  'sign_in_link.use': 'Signed in with a link',
};

/** What the action filter shows for an action: its words, or the action itself for one written since. */
export const actionWords = (action: string): string => ACTION_WORDS[action] ?? action;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null);

const MEMBER_LABEL = /^member:(\S+)(?: \(([^)]*)\))?/;

/** The member ids and external ids an entry mentions (its actor, subject and values), for the caller to name. */
export function memberRefsOf(row: AuditRow): { ids: string[]; externalIds: string[] } {
  const ids = new Set<string>();
  const externalIds = new Set<string>();
  const label = (s: string | null) => {
    const m = s ? MEMBER_LABEL.exec(s) : null;
    if (m) {
      ids.add(m[1]!);
      if (m[2]) externalIds.add(m[2]);
    }
  };
  label(row.actor);
  label(row.subject);
  for (const v of [obj(row.before), obj(row.after)]) {
    const member = str(v.member);
    if (member?.startsWith('member:')) label(member);
    else if (member) {
      ids.add(member);
      externalIds.add(member);
    }
    const memberId = str(v.memberId);
    if (memberId) ids.add(memberId);
  }
  return { ids: [...ids], externalIds: [...externalIds] };
}

/** An amount as the log reads it: cents with separators; null is "unlimited" (a cap) or "none". */
function money(v: unknown, none = 'unlimited'): string {
  if (v === null || v === undefined) return none;
  const s = str(v);
  return s === null ? String(v) : usdCents(s);
}

/** A ledger integer of nano-dollars ("250000000000") as money. */
function nanosMoney(v: unknown): string {
  const s = str(v);
  if (s === null) return v === null ? 'unlimited' : String(v);
  return /^-?\d+$/.test(s) ? usdCents(formatUsd(BigInt(s))) : usdCents(s);
}

const FIELD_WORDS: Record<string, string> = {
  name: 'name', email: 'email', role: 'role', seatTier: 'seat', timezone: 'timezone', plan: 'plan',
  extraUsageEnabled: 'extra usage', extraUsageScope: 'who gets extra usage', extraUsageCapNanos: 'limit',
  orgMonthlyCapNanos: 'spending cap', standardTierCapNanos: 'Standard seats\' spending cap', premiumTierCapNanos: 'Premium seats\' spending cap',
  includedAllowanceNanos: 'included usage', windowMinutes: 'window', slackUserId: 'Slack account', teamsUserId: 'Teams account',
  autoReloadEnabled: 'auto-reload', autoReloadThresholdNanos: 'auto-reload threshold', autoReloadAmountNanos: 'auto-reload amount', autoReloadMonthlyLimit: 'reloads a month',
  balanceWarningNanos: 'low-balance warning', removedAt: 'removal', anthropicUserId: 'Claude user',
  memberCapReached: 'tell a member at their limit', orgCapThresholds: 'spending cap alerts', tierCapThresholds: 'seat tier cap alerts',
};

/** A field's value in words ("$250.00", "on", "Premium"). */
function fieldValue(key: string, v: unknown): string {
  if (/Nanos$/.test(key)) return nanosMoney(v);
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (key === 'seatTier' && (v === 'standard' || v === 'premium')) return tierName(v);
  if (key === 'role' && typeof v === 'string') return v.replace(/_/g, ' ');
  if (key === 'extraUsageScope') return v === 'all_members' ? 'all members' : 'selected members';
  if (key === 'windowMinutes' && typeof v === 'number') return durationWords(v);
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'number' ? `${x}%` : String(x))).join(' ') : 'none';
  return typeof v === 'object' ? 'changed' : String(v);
}

/** "name Ann → Anne, seat Standard → Premium": the fields an entry changed. */
function changes(before: unknown, after: unknown): string {
  const b = obj(before);
  const a = obj(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => FIELD_WORDS[k] !== undefined);
  // Nothing before (a tier or member first written): only what it is now.
  const fresh = Object.values(b).every((v) => v === null || v === undefined);
  return keys.map((k) => (k in b && !fresh ? `${FIELD_WORDS[k]} ${fieldValue(k, b[k])} → ${fieldValue(k, a[k])}` : `${FIELD_WORDS[k]} ${fieldValue(k, a[k])}`)).join(', ');
}

const PRODUCT_WORDS: Record<string, string> = { claude_code: 'Claude Code', claude: 'Claude', api: 'the API' };
const PERIOD_WORDS: Record<string, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const CHANNEL_WORDS: Record<string, string> = { slack: 'Slack', teams: 'Teams', email: 'email' };

/** The member a label ("member:<id> (<external id>) via …") names: today's name, else the external id; null for no member label. */
function memberName(label: string | null, names: AuditNames): string | null {
  const m = label ? MEMBER_LABEL.exec(label) : null;
  if (!m) return null;
  return names.byId.get(m[1]!) ?? (m[2] ? names.byExternalId.get(m[2]) ?? m[2] : 'a former member');
}

/** Who did it, in words: a member's name, "The operator", "The service". */
export function auditActor(actor: string, names: AuditNames): string {
  if (actor === 'operator') return 'The operator';
  if (actor === 'system') return 'The service';
  if (actor === 'anonymous') return 'Someone';
  if (actor === 'gateway') return 'The gateway';
  const member = memberName(actor, names);
  if (member) return member === 'a former member' ? 'A former member' : member;
  const claude = /^anthropic: (.+)$/.exec(actor);
  return claude ? claude[1]! : actor;
}

/**
 * One entry as a sentence. `names` names the members it mentions (memberRefsOf); a
 * member no longer known is called by their external id, or "a former member".
 */
export function auditSentence(row: AuditRow, names: AuditNames, timeZone = 'UTC'): string {
  const before = obj(row.before);
  const after = obj(row.after);
  const nameOfLabel = (label: string | null) => memberName(label, names);
  const actor = auditActor(row.actor, names);
  /** The member an entry is about: its subject, else the member its values name. */
  const memberRef = (v: unknown): string | null => {
    const s = str(v);
    if (!s) return null;
    return s.startsWith('member:') ? nameOfLabel(s) : names.byId.get(s) ?? names.byExternalId.get(s) ?? s;
  };
  const subjectMember = nameOfLabel(row.subject) ?? memberRef(after.member) ?? memberRef(before.member) ?? memberRef(after.memberId) ?? 'a member';
  const whose = (name: string) => (name === actor ? 'their own' : `${name}'s`);
  const when = (v: unknown) => (str(v) ? formatWhen(str(v)!, timeZone) : 'an unknown time');
  const tierOf = (subject: string) => (subject === 'tier:premium' ? 'Premium' : subject === 'tier:standard' ? 'Standard' : subject.replace(/^tier:/, ''));
  const viaRequest = after.viaRequest ? ', approving their request' : '';

  /** "raised X from $50.00 to $75.00", "set X to unlimited (was $50.00)". */
  const capChange = (what: string, b: unknown, a: unknown): string => {
    const from = str(b);
    const to = str(a);
    if (from !== null && to !== null) {
      const [fb, fa] = [usdCents(from), usdCents(to)];
      if (fb === fa) return `${actor} set ${what} to ${fa} (unchanged)`;
      const up = (parseUsd(from) ?? 0n) < (parseUsd(to) ?? 0n) ? 'raised' : 'lowered';
      return `${actor} ${up} ${what} from ${fb} to ${fa}`;
    }
    if (to === null && from === null) return `${actor} left ${what} unlimited`;
    return to === null ? `${actor} set ${what} to unlimited (was ${money(from)})` : `${actor} set ${what} to ${money(to)} (was unlimited)`;
  };

  switch (row.action) {
    case 'cap.org.set':
      return `${capChange('the organisation\'s spending cap', before.cap, after.cap)}${viaRequest}.`;
    case 'cap.tier.set':
      return `${capChange(`the ${tierOf(row.subject)} seats' spending cap`, before.cap, after.cap)}${viaRequest}.`;
    case 'cap.member.set':
      return `${capChange(`${whose(subjectMember)} limit`, before.cap, after.cap)}${viaRequest}.`;
    case 'cap.product.set': {
      const product = row.subject.replace(/^product:/, '');
      return `${capChange(`the limit per member for ${PRODUCT_WORDS[product] ?? product}`, before.memberCap, after.memberCap)}.`;
    }
    case 'cap.member_product.set': {
      const product = str(after.product) ?? str(before.product) ?? 'a product';
      const capWords = (v: unknown) => (v === 'default' ? 'the product\'s default' : money(v));
      return `${actor} set ${whose(subjectMember)} limit for ${PRODUCT_WORDS[product] ?? product} to ${capWords(after.cap)} (was ${capWords(before.cap)}).`;
    }
    case 'extra_usage.set': {
      const on = after.enabled === true;
      const scope = after.scope === 'all_members' ? 'all members' : 'selected members';
      if (!on) return `${actor} turned extra usage off for the organisation.`;
      if (before.enabled === true && before.scope !== after.scope) return `${actor} changed who gets extra usage to ${scope}.`;
      return `${actor} turned extra usage on for ${scope}${viaRequest}.`;
    }
    case 'extra_usage.member.set': {
      const on = after.enabled === true;
      const cap = 'cap' in after ? ` with a limit of ${money(after.cap)}` : '';
      return `${actor} turned extra usage ${on ? 'on' : 'off'} for ${subjectMember}${on ? cap : ''}${viaRequest}.`;
    }
    case 'member.seat_tier.set': {
      const from = before.seatTier === 'premium' || before.seatTier === 'standard' ? tierName(before.seatTier) : String(before.seatTier);
      const to = after.seatTier === 'premium' || after.seatTier === 'standard' ? tierName(after.seatTier) : String(after.seatTier);
      return `${actor} moved ${subjectMember} from a ${from} seat to a ${to} seat${viaRequest}.`;
    }
    case 'auto_reload.set':
      if (after.enabled === false) return `${actor} turned auto-reload off.`;
      return `${actor} turned auto-reload on: add ${money(after.amount, 'nothing')} when the balance reaches ${money(after.threshold, 'nothing')}${typeof after.monthlyLimit === 'number' ? `, at most ${after.monthlyLimit} times a month` : ''}.`;
    case 'balance_warning.set':
      return after.level === null || after.level === undefined
        ? `${actor} turned the low-balance warning off${before.level ? ` (was ${money(before.level)})` : ''}.`
        : `${actor} set the low-balance warning to ${money(after.level)}${before.level ? ` (was ${money(before.level)})` : ''}.`;
    case 'balance.purchase':
      return `${actor} bought ${money(after.amount)} of balance; the balance is now ${money(after.balance)}.`;
    case 'balance.reload':
      return `Auto-reload added ${money(after.amount)}; the balance is now ${money(after.balance)}.`;
    case 'balance.adjustment':
      return `${actor} adjusted the balance by ${money(after.amount)}; it is now ${money(after.balance)}.`;
    case 'balance.purchase_started':
      return `${actor} started buying ${money(after.amount)} of balance at Stripe (credited when Stripe confirms the payment).`;
    case 'request.decided': {
      const requester = memberRef(after.member) ?? 'a member';
      const in_ = after.decidedIn === 'claude.ai' ? ' in claude.ai' : '';
      if (after.status === 'denied') return `${actor} denied ${requester}'s request${in_}${str(after.reason) ? `: "${str(after.reason)}"` : ''}.`;
      if (after.status !== 'approved') return `${actor} closed ${requester}'s request${in_}.`;
      if (after.decision === 'upgrade_seat') return `${actor} approved ${requester}'s request with a Premium seat.`;
      if (after.decision === 'enable_extra_usage') return `${actor} approved ${requester}'s request: extra usage on with a limit of ${money(after.cap)}.`;
      if (after.decision === 'increase_limit' && after.raise) return `${actor} approved ${requester}'s request to raise a limit, to ${money(after.amount)}.`;
      if (after.decision === 'increase_limit') return `${actor} approved ${requester}'s request: a ${PERIOD_WORDS[str(after.period) ?? ''] ?? ''} limit of ${money(after.amount)} in Claude.`.replace('a  limit', 'a limit');
      return `${actor} approved ${requester}'s request${in_}.`;
    }
    case 'request.closed':
      return `${memberRef(after.member) ?? 'A member'}'s request ${after.status === 'expired' ? 'expired: nobody decided in time' : 'was cancelled'}${str(after.reason) ? ` (${str(after.reason)})` : ''}.`;
    case 'request.untracked':
      return `${memberRef(after.member) ?? 'A member'}'s request is no longer tracked here: the organisation disconnected from Claude (decide it in claude.ai).`;
    case 'request.tracked_again':
      return `${memberRef(after.member) ? `${memberRef(after.member)}'s request` : 'A request from Claude'} is tracked here again: the organisation is connected to Claude again.`;
    case 'notices.set':
      return `${actor} changed the notice settings${changes(before, after) ? ` (${changes(before, after)})` : ''}.`;
    case 'notice_channel.failing': {
      const channel = row.subject.replace(/^channel:/, '');
      return `Notices to ${CHANNEL_WORDS[channel] ?? channel} keep failing: ${str(after.failures) ?? 'several'} attempts in a row since ${when(after.since)}; they are retried.`;
    }
    case 'notice_channel.recovered': {
      const channel = row.subject.replace(/^channel:/, '');
      return `Notices to ${CHANNEL_WORDS[channel] ?? channel} are delivered again, after ${str(before.failures) ?? 'several'} failed attempts.`;
    }
    case 'gateway_key.create':
      return `${actor} made a gateway key "${str(after.name) ?? ''}" (${str(after.prefix) ?? ''}…)${after.expiresAt ? `, expiring ${when(after.expiresAt)}` : ''}.`;
    case 'gateway_key.revoke':
      return `${actor} revoked the gateway key ${str(after.prefix) ?? ''}….`;
    case 'gateway_key.used_after_revoke':
      return `Someone used the revoked gateway key ${str(after.prefix) ?? ''}…; it was refused.`;
    case 'gateway.upstream_key.set':
      return `${actor} stored the gateway's Anthropic API key${before.set ? ', replacing the one before' : ''}.`;
    case 'gateway.failure_policy.set':
      return after.whenLedgerUnreachable === 'forward'
        ? `${actor} let the gateway forward members' requests unchecked while the ledger is unreachable (each recorded once it is back).`
        : `${actor} made the gateway refuse requests while the ledger is unreachable.`;
    case 'gateway.failed_open':
      return `The gateway forwarded ${subjectMember}'s request ${str(after.requestId) ?? ''} unchecked while the ledger was unreachable; it was recorded once the ledger was back.`;
    case 'continue.member.set':
      return `${actor} chose ${after.enabled ? 'to continue on extra usage' : 'to stop at the seat\'s limit'} when ${subjectMember === actor ? 'their' : whose(subjectMember)} included usage runs out${after.setBy === 'default' ? ' (the organisation\'s default)' : ''}.`;
    case 'continue.default.set':
      return `${actor} set the organisation's default to ${after.enabled ? 'continue on extra usage' : 'stop at the seat\'s limit'} when a member's included usage runs out (for members who made no choice of their own).`;
    case 'gateway.upstream_key.cleared':
      return `${actor} removed the gateway's Anthropic API key.`;
    case 'api_key.issue':
      return `${actor} issued the API key "${str(after.name) ?? ''}" (${str(after.prefix) ?? ''}…)${Array.isArray(after.scopes) ? ` for ${after.scopes.join(', ')}` : ''}.`;
    case 'api_key.revoke':
      return `${actor} revoked an API key.`;
    case 'seat_prices.set':
      return `${actor} set the seat prices: Standard ${money(after.standard, 'none')}, Premium ${money(after.premium, 'none')} a month${row.before ? ` (were ${money(before.standard, 'none')} and ${money(before.premium, 'none')})` : ''}.`;
    case 'identity_provider.set':
      return after.issuer ? `${actor} set the identity provider to ${str(after.issuer)}.` : `${actor} removed the identity provider: people sign in with links only.`;
    case 'sign_in_link.issue':
      return `${actor} sent ${memberRef(after.member) ?? 'a member'} a sign-in link, valid until ${when(after.expiresAt)}.`;
    case 'sign_in_link.use':
      return `${actor} signed in with a link.`;
    case 'sign_in_link.refuse':
      return `A sign-in link for ${memberRef(after.member) ?? 'a member'} was refused${str(after.reason) ? ` (${str(after.reason)})` : ''}${typeof after.refusals === 'number' && after.refusals > 1 ? `, ${after.refusals} times, last at ${when(after.lastRefusedAt)}` : ''}.`;
    case 'console.sign_in':
      return `${actor} signed in with the identity provider.`;
    case 'anthropic.connected':
      return `${actor} connected the organisation to Claude${str(after.name) ? ` (${str(after.name)})` : ''}.`;
    case 'anthropic.disconnected':
      return `${actor} disconnected the organisation from Claude.`;
    case 'anthropic.spend_limit.user.set':
      return `${capChange(`${whose(subjectMember)} ${PERIOD_WORDS[str(after.period) ?? ''] ?? ''} limit in Claude`.replace('  ', ' '), before.limit, after.limit)}${after.viaRequest ? ', approving their request' : ''}.`;
    case 'member.add':
      return `${actor} added ${str(after.name) ?? subjectMember} from Claude's members.`;
    case 'member.create':
      return `${actor} added ${subjectMember}${changes(null, after) ? ` (${changes(null, after)})` : ''}.`;
    case 'member.update':
      return `${actor} updated ${subjectMember}${changes(before, after) ? `: ${changes(before, after)}` : ''}.`;
    case 'member.remove':
      return `${actor} removed ${str(before.name) ?? subjectMember}.`;
    case 'member.chat_link': {
      const field = Object.keys(after).find((k) => k === 'slackUserId' || k === 'teamsUserId');
      return `${subjectMember} linked their ${field === 'teamsUserId' ? 'Teams' : 'Slack'} account.`;
    }
    case 'claude_code_user.mapped':
      return `${actor} claimed the Claude Code user ${row.subject.replace(/^claude_code_user:/, '')} for ${memberRef(after.memberId) ?? memberRef(after.member) ?? 'a member'}.`;
    case 'claude_code_user.remapped':
      return `${actor} moved the Claude Code user ${row.subject.replace(/^claude_code_user:/, '')} from ${memberRef(before.memberId) ?? memberRef(before.member) ?? 'a member'} to ${memberRef(after.memberId) ?? memberRef(after.member) ?? 'a member'}.`;
    case 'claude_code_user.unmapped':
      return `${actor} released the Claude Code user ${row.subject.replace(/^claude_code_user:/, '')} from ${memberRef(before.memberId) ?? memberRef(before.member) ?? 'a member'}.`;
    case 'org.create':
      return `${actor} created the organisation.`;
    case 'org.update':
      return `${actor} changed the organisation's settings${changes(before, after) ? `: ${changes(before, after)}` : ''}.`;
    case 'seat_tier.set':
      return `${actor} changed the ${tierOf(row.subject)} seat${changes(before, after) ? `: ${changes(before, after)}` : ''}.`;
    case 'price.added':
      return `${actor} added a price for ${row.subject.replace(/^price:/, '').split(/[>@]/)[0]}.`;
    case 'model_alias.added':
      return `${actor} added the model name ${str(after.alias) ?? row.subject.replace(/^model_alias:/, '')} for ${str(after.family) ?? 'a model'}.`;
    case 'price_modifier.added':
      return `${actor} added a price modifier for ${row.subject.replace(/^price_modifier:/, '').split(/[:@]/)[0]}.`;
    default:
      return `${actor}: ${actionWords(row.action)}.`;
  }
}
