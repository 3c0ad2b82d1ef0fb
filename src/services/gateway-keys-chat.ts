// A member's personal gateway keys from chat ("/usage key" in Slack, "key" to the Teams
// bot): made, listed and revoked for the member the chat platform vouched for, with
// the same keys, audit entries and lines to paste as the console's "Use Claude Code"
// panel. The answer carrying a new key goes to that member only (Slack: ephemeral;
// Teams: their personal chat), and the key is never shown again.
import type { Db } from '../db/client.js';
import { formatWhen } from '../domain/display.js';
import { claudeCodeLines, gatewayUrlOf } from '../gateway/claude-code-lines.js';
import { createGatewayKey, listGatewayKeys, revokeGatewayKey } from '../gateway/keys.js';
import type { Actor } from '../identity/people.js';
import { LedgerError } from '../ledger/errors.js';

export interface ChatKeyContext {
  db: Db;
  orgId: string;
  timezone: string;
  member: Actor;
  channel: 'slack' | 'teams';
  /** How the member writes the command here: "/usage key" in Slack, "key" in Teams. */
  command: string;
  /** PUBLIC_URL: the base of the lines to paste. */
  publicUrl?: string;
  now: Date;
}

const NAME = /^[\p{L}\p{N} ._-]{1,100}$/u;

export function keyHelp(c: Pick<ChatKeyContext, 'command'>): string {
  return `Personal keys for Claude Code through this service's gateway: "${c.command}" makes one (shown once, to you only), "${c.command} new <name>" makes one with a name, "${c.command} list" lists yours, "${c.command} revoke <key prefix>" revokes one.`;
}

/** Answers a key command (the words after "key") in words for the member only. */
export async function gatewayKeyFromChat(c: ChatKeyContext, words: string[]): Promise<string> {
  const [sub, ...rest] = words;
  const verb = sub?.toLowerCase();
  try {
    if (verb === undefined || verb === 'new') return await make(c, rest.join(' ').trim());
    if (verb === 'list') return await list(c);
    if (verb === 'revoke') return await revoke(c, rest[0]);
    return keyHelp(c);
  } catch (err) {
    if (err instanceof LedgerError) return `Nothing was changed: ${err.message}.`;
    throw err;
  }
}

async function make(c: ChatKeyContext, name: string): Promise<string> {
  if (name && !NAME.test(name)) return `A key's name is up to 100 letters, digits, spaces, dots, dashes or underscores. Nothing was made. ${keyHelp(c)}`;
  const made = await createGatewayKey(c.db, { ...c.member, via: c.channel }, { name: name || (c.channel === 'slack' ? 'Claude Code (Slack)' : 'Claude Code (Teams)') });
  const lines = claudeCodeLines(gatewayUrlOf(c.publicUrl ?? '<this service\'s address>'), made.key);
  return [
    `Your new gateway key "${made.name}" is shown only now, and only to you: copy it before leaving.`,
    'In your shell (or your shell\'s profile):',
    '```',
    lines.shell,
    '```',
    'Or in Claude Code\'s ~/.claude/settings.json:',
    '```',
    lines.settings,
    '```',
    `Claude Code then counts against your limits as you work. "${c.command} list" lists your keys; "${c.command} revoke ${made.prefix}" revokes this one.`,
  ].join('\n');
}

async function list(c: ChatKeyContext): Promise<string> {
  const keys = (await listGatewayKeys(c.db, c.member, c.member.id)).filter((k) => k.revokedAt === null && (k.expiresAt === null || new Date(k.expiresAt) > c.now));
  if (!keys.length) return `You have no gateway key. "${c.command}" makes one.`;
  return [`Your gateway keys (${keys.length}):`, ...keys.map((k) => `• ${k.prefix}… "${k.name}", made ${formatWhen(k.createdAt, c.timezone)}, ${k.expiresAt ? `expires ${formatWhen(k.expiresAt, c.timezone)}` : 'never expires'}`), `"${c.command} revoke <key prefix>" revokes one.`].join('\n');
}

async function revoke(c: ChatKeyContext, written: string | undefined): Promise<string> {
  // The prefix as listed (eug_ and 8 characters, "…" or not), or the whole key.
  const prefix = (written ?? '').replace(/(…|\.\.\.)$/, '').slice(0, 12);
  if (prefix.length < 12) return `Say which key: "${c.command} revoke <key prefix>", the prefix as "${c.command} list" shows it. Nothing was revoked.`;
  const keys = (await listGatewayKeys(c.db, c.member, c.member.id)).filter((k) => k.prefix === prefix && k.revokedAt === null);
  if (keys.length === 0) return `You have no active key ${prefix}…. Nothing was revoked. "${c.command} list" lists yours.`;
  for (const k of keys) await revokeGatewayKey(c.db, { ...c.member, via: c.channel }, c.orgId, k.id);
  return `Revoked: ${prefix}… ("${keys.map((k) => k.name).join('", "')}"). Claude Code using it is refused from now on.`;
}
