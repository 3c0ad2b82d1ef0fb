// An audit entry in words, for owners reading the log in chat: when (in the org's
// timezone), who (actor labels resolved to names), what, and before → after in
// short. Plain text, unescaped: each app escapes it for its own markup.
import { formatDayTime } from '../../src/domain/display.js';
import { formatUsd } from '../../src/domain/money.js';

export interface AuditEntryRow {
  id: bigint;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

export interface AuditLine {
  id: string;
  when: string;
  who: string;
  what: string;
  /** "before → after", cut short; empty when the entry carries no values. */
  change: string;
}

const MAX = { who: 120, what: 150, change: 300, value: 60 };

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** "member:<id> (<externalId>)[ via <how>]", as actorLabel writes it. */
const MEMBER_ACTOR = /^member:(\S+) \((.*)\)(?: via (\S+))?$/;

const SYSTEM_ACTORS: Record<string, string> = {
  operator: 'Operator (org document)',
  system: 'The service',
  'auto-reload': 'Auto-reload',
};

/** Member ids an entry mentions (actor, subject, the member a request was for), to look their names up at once. */
export function memberIdsOf(e: AuditEntryRow): string[] {
  const ids = [MEMBER_ACTOR.exec(e.actor)?.[1], memberOfSubject(e.subject), requestMember(e)];
  return ids.filter((id): id is string => !!id);
}

const memberOfSubject = (subject: string) => (subject.startsWith('member:') ? subject.slice('member:'.length) : undefined);

function requestMember(e: AuditEntryRow): string | undefined {
  for (const v of [e.after, e.before]) {
    const m = v && typeof v === 'object' ? (v as Record<string, unknown>).member : undefined;
    if (typeof m === 'string' && m.startsWith('member:')) return m.slice('member:'.length);
  }
  return undefined;
}

function via(how: string): string {
  if (how.startsWith('api_key:')) return 'an API key';
  if (how === 'oidc') return 'single sign-on';
  return how;
}

export function whoText(actor: string, names: ReadonlyMap<string, string>): string {
  const m = MEMBER_ACTOR.exec(actor);
  if (m) return cut(`${names.get(m[1]!) ?? m[2]}${m[3] ? ` via ${via(m[3])}` : ''}`, MAX.who);
  return cut(SYSTEM_ACTORS[actor] ?? actor, MAX.who);
}

const tierName = (tier: string) => (tier === 'premium' ? 'Premium' : tier === 'standard' ? 'Standard' : tier);

export function whatText(e: AuditEntryRow, names: ReadonlyMap<string, string>): string {
  const memberId = memberOfSubject(e.subject) ?? requestMember(e);
  const name = memberId ? names.get(memberId) ?? 'a former member' : 'a member';
  const tier = e.subject.startsWith('tier:') ? tierName(e.subject.slice('tier:'.length)) : '';
  const words: Record<string, string> = {
    'extra_usage.set': 'Extra usage switch',
    'cap.org.set': 'Organisation monthly limit',
    'cap.tier.set': `${tier} seats' monthly limit`,
    'cap.member.set': `${name}'s monthly limit`,
    'extra_usage.member.set': `${name}'s extra usage`,
    'continue.member.set': `${name}'s choice to continue on extra usage`,
    'continue.default.set': 'Default: continue on extra usage',
    'member.seat_tier.set': `${name}'s seat`,
    'auto_reload.set': 'Auto-reload',
    'request.decided': `${name}'s request decided`,
    'request.closed': `${name}'s request closed`,
    'balance.purchase': 'Balance bought',
    'balance.reload': 'Balance reloaded',
    'alerts.slack_channel.set': 'Slack channel for cap alerts',
    'alerts.teams_channel.set': "Teams channel for owners' alerts",
    'org.create': 'Organisation created',
    'org.update': 'Organisation document',
    'member.create': `${name} added`,
    'member.update': `${name} changed`,
    'member.remove': `${name} removed`,
    'seat_tier.set': `${tier} seat settings`,
    'api_key.issue': 'API key issued',
    'api_key.revoke': 'API key revoked',
    'identity_provider.set': 'Sign-in provider',
  };
  return cut(words[e.action] ?? e.action, MAX.what);
}

/** Keys that say where a change came from, not what changed. */
const CONTEXT_KEYS = new Set(['viaRequest', 'member']);
const MONEY_KEYS = new Set(['cap', 'balance', 'amount', 'threshold']);
const KEY_ORDER = ['status', 'decision', 'enabled', 'scope', 'seatTier', 'cap', 'reason'];
/** A cap that is null is unlimited; any other null value is simply not set. */
const isCapKey = (key: string | null) => !!key && (key === 'cap' || /Cap(Nanos)?$/.test(key));
/** The ledger's own column names say "Nanos"; people read dollars. */
const label = (key: string) => key.replace(/Nanos$/, '');

function valueText(key: string | null, v: unknown): string {
  if (v === null || v === undefined) return isCapKey(key) ? 'Unlimited' : 'none';
  if (typeof v === 'boolean') return key === 'enabled' ? (v ? 'on' : 'off') : v ? 'yes' : 'no';
  if (key?.endsWith('Nanos') && (typeof v === 'string' || typeof v === 'number') && /^-?\d+$/.test(String(v))) return `$${formatUsd(BigInt(v))}`;
  if (typeof v === 'string') {
    if (key && MONEY_KEYS.has(key) && /^-?\d+(\.\d+)?$/.test(v)) return `$${v}`;
    return cut(/^[a-z]+(_[a-z]+)+$/.test(v) ? v.replace(/_/g, ' ') : v, MAX.value);
  }
  if (typeof v === 'number') return String(v);
  return cut(JSON.stringify(v), MAX.value);
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** Nothing there before (a creation, or a field set for the first time). */
const unset = (key: string, v: unknown) => v === undefined || (v === null && !isCapKey(key));

export function changeText(before: unknown, after: unknown): string {
  if (!isRecord(before) && !isRecord(after)) {
    if ((before === null || before === undefined) && (after === null || after === undefined)) return '';
    return cut(`${valueText(null, before)} → ${valueText(null, after)}`, MAX.change);
  }
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  // JSON columns keep no key order: the keys people look for first, then the rest as stored.
  const keys = [...new Set([...KEY_ORDER, ...Object.keys(b), ...Object.keys(a)])].filter((k) => (k in b || k in a) && !CONTEXT_KEYS.has(k));
  // A value absent before and null after (a denial's cap) was never set: not a change.
  const changed = keys.filter((k) => !same(b[k], a[k]) && !(unset(k, b[k]) && (a[k] === null || a[k] === undefined)));
  const shown = changed.length ? changed : keys;
  const arrow = (k: string) => `${valueText(k, b[k])} → ${valueText(k, a[k])}`;
  const one = (k: string) => {
    if (unset(k, b[k])) return `${label(k)} ${valueText(k, a[k])}`;
    if (a[k] === undefined) return `${label(k)} ${valueText(k, b[k])} → none`;
    return `${label(k)} ${arrow(k)}`;
  };
  // One value changed: "$50.00 → $75.50" says it all.
  const only = shown.length === 1 ? shown[0]! : null;
  if (only && !unset(only, b[only]) && a[only] !== undefined) return cut(arrow(only), MAX.change);
  return cut(shown.map(one).join(', '), MAX.change);
}

/** "15 Nov 2026, 13:05" in `timeZone` (the org's; said once above the list): the one date format of every message. */
export function localMinute(at: Date, timeZone: string): string {
  return formatDayTime(at, timeZone) ?? at.toISOString();
}

export function describeEntry(e: AuditEntryRow, names: ReadonlyMap<string, string>, timeZone: string): AuditLine {
  return { id: String(e.id), when: localMinute(e.createdAt, timeZone), who: whoText(e.actor, names), what: whatText(e, names), change: changeText(e.before, e.after) };
}
