// The audit log in words: a sentence for every kind of entry the code writes (the kinds
// are read from the source, so a new kind without a sentence fails here), names
// instead of ids, amounts in cents with separators, instants in the org's timezone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_WORDS, auditSentence, memberRefsOf, SIGN_IN_ACTIONS, type AuditRow } from '../../src/domain/audit-words.js';

const OLIVIA = 'member:0b1c-olivia (owner-1) via console';
const names = {
  byId: new Map([['0b1c-olivia', 'Olivia Owner'], ['a11c-alice', 'Alice'], ['b0b0-bob', 'Bob Brown']]),
  byExternalId: new Map([['owner-1', 'Olivia Owner'], ['alice', 'Alice'], ['bob', 'Bob Brown']]),
};
const row = (action: string, before: unknown, after: unknown, subject = 'org', actor = OLIVIA): AuditRow => ({ actor, action, subject, before, after });

/** One entry of each kind, as its writer stores it, and the sentence an owner reads. */
const SAMPLES: [AuditRow, string][] = [
  [row('cap.member.set', { cap: '50.00' }, { cap: '75.00' }, 'member:a11c-alice'), "Olivia Owner raised Alice's limit from $50.00 to $75.00."],
  [row('cap.member.set', { cap: '75.00' }, { cap: null }, 'member:a11c-alice'), "Olivia Owner set Alice's limit to unlimited (was $75.00)."],
  [row('cap.org.set', { cap: '1500.00' }, { cap: '1000' }), "Olivia Owner lowered the organisation's spending cap from $1,500.00 to $1,000.00."],
  [row('cap.org.set', { cap: null }, { cap: '250.00' }), "Olivia Owner set the organisation's spending cap to $250.00 (was unlimited)."],
  [row('cap.tier.set', { cap: '80.00' }, { cap: '80.50' }, 'tier:premium'), "Olivia Owner raised the Premium seats' spending cap from $80.00 to $80.50."],
  [row('cap.product.set', { declared: true, memberCap: null }, { declared: true, memberCap: '20.00' }, 'product:claude_code'), 'Olivia Owner set the limit per member for Claude Code to $20.00 (was unlimited).'],
  [row('cap.member_product.set', { product: 'claude_code', cap: 'default', productDefault: '20.00' }, { product: 'claude_code', cap: '35.00' }, 'member:a11c-alice'), "Olivia Owner set Alice's limit for Claude Code to $35.00 (was the product's default)."],
  [row('extra_usage.set', { enabled: false, scope: 'all_members' }, { enabled: true, scope: 'all_members' }), 'Olivia Owner turned extra usage on for all members.'],
  [row('extra_usage.set', { enabled: true, scope: 'all_members' }, { enabled: true, scope: 'selected_members' }), 'Olivia Owner changed who gets extra usage to selected members.'],
  [row('extra_usage.set', { enabled: true, scope: 'all_members' }, { enabled: false, scope: 'all_members' }), 'Olivia Owner turned extra usage off for the organisation.'],
  [row('extra_usage.member.set', { enabled: false, cap: null }, { enabled: true, cap: '40.00', viaRequest: 'r1' }, 'member:b0b0-bob'), 'Olivia Owner turned extra usage on for Bob Brown with a limit of $40.00, approving their request.'],
  [row('extra_usage.member.set', { enabled: true }, { enabled: false }, 'member:b0b0-bob'), 'Olivia Owner turned extra usage off for Bob Brown.'],
  [row('member.seat_tier.set', { seatTier: 'standard' }, { seatTier: 'premium' }, 'member:a11c-alice'), 'Olivia Owner moved Alice from a Standard seat to a Premium seat.'],
  [row('auto_reload.set', { enabled: false, threshold: null, amount: null, monthlyLimit: null }, { enabled: true, threshold: '10.00', amount: '1000.00', monthlyLimit: 3 }), 'Olivia Owner turned auto-reload on: add $1,000.00 when the balance reaches $10.00, at most 3 times a month.'],
  [row('auto_reload.set', { enabled: true }, { enabled: false }), 'Olivia Owner turned auto-reload off.'],
  [row('balance_warning.set', { level: null }, { level: '15.00' }), 'Olivia Owner set the low-balance warning to $15.00.'],
  [row('balance_warning.set', { level: '15.00' }, { level: null }), 'Olivia Owner turned the low-balance warning off (was $15.00).'],
  [row('balance.purchase', { balance: '5.00' }, { balance: '1505.00', amount: '1500.00' }), 'Olivia Owner bought $1,500.00 of balance; the balance is now $1,505.00.'],
  [row('balance.reload', { balance: '9.00' }, { balance: '59.00', amount: '50.00' }, 'org', 'system'), 'Auto-reload added $50.00; the balance is now $59.00.'],
  [row('balance.adjustment', { balance: '9.00' }, { balance: '19.00', amount: '10.00' }, 'org', 'operator'), 'The operator adjusted the balance by $10.00; it is now $19.00.'],
  [row('balance.purchase_started', { balance: '9.00' }, { amount: '50.00', checkoutSession: 'cs_1', credited: 'when Stripe confirms the payment' }), 'Olivia Owner started buying $50.00 of balance at Stripe (credited when Stripe confirms the payment).'],
  [row('request.decided', { status: 'pending' }, { status: 'approved', decision: 'enable_extra_usage', cap: '40.00', reason: null, member: 'member:b0b0-bob' }, 'request:r1'), "Olivia Owner approved Bob Brown's request: extra usage on with a limit of $40.00."],
  [row('request.decided', { status: 'pending' }, { status: 'approved', decision: 'upgrade_seat', cap: null, reason: null, member: 'member:b0b0-bob' }, 'request:r1'), "Olivia Owner approved Bob Brown's request with a Premium seat."],
  [row('request.decided', { status: 'pending' }, { status: 'denied', decision: 'deny', cap: null, reason: 'not this month', member: 'member:b0b0-bob' }, 'request:r1'), 'Olivia Owner denied Bob Brown\'s request: "not this month".'],
  [row('request.decided', { status: 'pending' }, { status: 'approved', decision: 'increase_limit', raise: 'member', amount: '75.00', reason: null, member: 'member:a11c-alice' }, 'request:r2'), "Olivia Owner approved Alice's request to raise a limit, to $75.00."],
  [row('request.decided', { status: 'pending' }, { status: 'approved', decision: 'increase_limit', amount: '30.00', period: 'weekly', reason: null, member: 'member:a11c-alice', anthropicRequest: 'req_1' }, 'request:r3'), "Olivia Owner approved Alice's request: a weekly limit of $30.00 in Claude."],
  [row('request.decided', { status: 'pending' }, { status: 'denied', decidedIn: 'claude.ai', member: 'member:a11c-alice', anthropicRequest: 'req_1' }, 'request:r3', 'anthropic: Rosa (rosa@example.com)'), "Rosa (rosa@example.com) denied Alice's request in claude.ai."],
  [row('request.closed', { status: 'pending' }, { status: 'expired', reason: null, member: 'member:a11c-alice' }, 'request:r1', 'system'), "Alice's request expired: nobody decided in time."],
  [row('request.untracked', { status: 'pending' }, { status: 'untracked', member: 'member:a11c-alice' }, 'request:r1', 'system'), "Alice's request is no longer tracked here: the organisation disconnected from Claude (decide it in claude.ai)."],
  [row('request.tracked_again', { status: 'untracked' }, { status: 'pending', workflowId: 'w' }, 'request:r1', 'system'), 'A request from Claude is tracked here again: the organisation is connected to Claude again.'],
  [row('notices.set', { memberCapReached: true, orgCapThresholds: [80, 100], tierCapThresholds: [100] }, { memberCapReached: true, orgCapThresholds: [50, 80, 100], tierCapThresholds: [100] }), 'Olivia Owner changed the notice settings (tell a member at their limit on → on, spending cap alerts 80% 100% → 50% 80% 100%, seat tier cap alerts 100% → 100%).'],
  [row('notice_channel.failing', null, { failures: 5, since: '2026-12-01T08:00:00.000Z', lastError: 'HTTP 500' }, 'channel:slack', 'system'), 'Notices to Slack keep failing: 5 attempts in a row since 1 Dec 2026, 09:00 (Europe/Paris); they are retried.'],
  [row('notice_channel.recovered', { failures: 5, since: '2026-12-01T08:00:00.000Z' }, null, 'channel:teams', 'system'), 'Notices to Teams are delivered again, after 5 failed attempts.'],
  [row('gateway_key.create', null, { member: 'alice', name: 'Laptop', prefix: 'eu_gw_ab12', expiresAt: null, product: null }, 'gateway_key:k1', 'member:a11c-alice (alice) via console'), 'Alice made a gateway key "Laptop" (eu_gw_ab12…).'],
  [row('gateway_key.revoke', { revoked: false }, { revoked: true, prefix: 'eu_gw_ab12' }, 'gateway_key:k1'), 'Olivia Owner revoked the gateway key eu_gw_ab12….'],
  [row('gateway_key.used_after_revoke', null, { prefix: 'eu_gw_ab12' }, 'gateway_key:k1', 'gateway'), 'Someone used the revoked gateway key eu_gw_ab12…; it was refused.'],
  [row('gateway.failure_policy.set', { whenLedgerUnreachable: 'refuse' }, { whenLedgerUnreachable: 'forward' }), "Olivia Owner let the gateway forward members' requests unchecked while the ledger is unreachable (each recorded once it is back)."],
  [row('gateway.failed_open', null, { requestId: 'msg_1', member: 'a11c-alice', model: 'claude-opus-4-8', at: '2026-12-07T10:00:00.000Z', recordedAfterOutage: true }, 'gateway_key:k1', 'gateway'), "The gateway forwarded Alice's request msg_1 unchecked while the ledger was unreachable; it was recorded once the ledger was back."],
  [row('continue.member.set', { enabled: true, setBy: 'default' }, { enabled: false, setBy: 'member' }, 'member:a11c-alice', 'member:a11c-alice (alice) via slack'), "Alice chose to stop at the seat's limit when their included usage runs out."],
  [row('continue.default.set', { enabled: true }, { enabled: false }), "Olivia Owner set the organisation's default to stop at the seat's limit when a member's included usage runs out (for members who made no choice of their own)."],
  [row('gateway.upstream_key.set', { set: false }, { set: true, key: 'stored (encrypted)' }, 'org', 'operator'), "The operator stored the gateway's Anthropic API key."],
  [row('gateway.upstream_key.cleared', { set: true }, { set: false }, 'org', 'operator'), "The operator removed the gateway's Anthropic API key."],
  [row('api_key.issue', null, { name: 'metering', prefix: 'eu_live_12', scopes: ['usage'] }, 'api_key:k', 'operator'), 'The operator issued the API key "metering" (eu_live_12…) for usage.'],
  [row('api_key.revoke', { revoked: false }, { revoked: true }, 'api_key:k', 'operator'), 'The operator revoked an API key.'],
  [row('seat_prices.set', null, { standard: '25.00', premium: '150.00' }, 'org:o1', 'operator'), 'The operator set the seat prices: Standard $25.00, Premium $150.00 a month.'],
  [row('identity_provider.set', { issuer: null, audience: null }, { issuer: 'https://idp.example.com', audience: 'console' }, 'org', 'operator'), 'The operator set the identity provider to https://idp.example.com.'],
  [row('identity_provider.set', { issuer: 'https://idp.example.com', audience: 'console' }, { issuer: null, audience: null }, 'org', 'operator'), 'The operator removed the identity provider: people sign in with links only.'],
  [row('sign_in_link.issue', null, { member: 'a11c-alice', purpose: 'console', expiresAt: '2026-12-07T20:00:00.000Z' }, 'sign_in_link:l1', 'operator'), 'The operator sent Alice a sign-in link, valid until 7 Dec 2026, 21:00 (Europe/Paris).'],
  [row('sign_in_link.use', { used: false }, { used: true, purpose: 'console', usedAt: '2026-12-07T19:00:00.000Z' }, 'sign_in_link:l1', 'member:a11c-alice (alice)'), 'Alice signed in with a link.'],
  [row('sign_in_link.refuse', null, { member: 'a11c-alice', reason: 'already used', refusals: 3, lastRefusedAt: '2026-12-07T19:30:00.000Z' }, 'sign_in_link:l1', 'anonymous'), 'A sign-in link for Alice was refused (already used), 3 times, last at 7 Dec 2026, 20:30 (Europe/Paris).'],
  [row('console.sign_in', null, { via: 'oidc', issuer: 'https://idp.example.com' }, 'member:a11c-alice', 'member:a11c-alice (alice) via oidc'), 'Alice signed in with the identity provider.'],
  [row('anthropic.connected', { connected: false }, { anthropicOrganization: 'org_1', name: 'Acme in Claude', key: 'stored (encrypted)' }), 'Olivia Owner connected the organisation to Claude (Acme in Claude).'],
  [row('anthropic.disconnected', { anthropicOrganization: 'org_1' }, { connected: false }), 'Olivia Owner disconnected the organisation from Claude.'],
  [row('anthropic.spend_limit.user.set', { limit: '20.00', period: 'weekly', source: 'seat_tier' }, { limit: '35.00', period: 'weekly', source: 'user' }, 'member:a11c-alice'), "Olivia Owner raised Alice's weekly limit in Claude from $20.00 to $35.00."],
  [row('member.add', null, { externalId: 'carol@example.com', name: 'Carol', email: 'carol@example.com', role: 'member', anthropicUserId: 'u1' }, 'member:c4r0', 'anthropic-sync'), "anthropic-sync added Carol from Claude's members."],
  [row('member.create', null, { externalId: 'bob', role: 'member', seatTier: 'standard', extraUsageCapNanos: '50000000000' }, 'member:b0b0-bob', 'operator'), 'The operator added Bob Brown (role member, seat Standard, limit $50.00).'],
  [row('member.update', { seatTier: 'standard', extraUsageCapNanos: null }, { seatTier: 'premium', extraUsageCapNanos: '1500000000000' }, 'member:b0b0-bob', 'operator'), 'The operator updated Bob Brown: seat Standard → Premium, limit unlimited → $1,500.00.'],
  [row('member.remove', { externalId: 'm-9', name: 'Max' }, { removed: true }, 'member:m9', 'operator'), 'The operator removed Max.'],
  [row('member.chat_link', { slackUserId: null }, { slackUserId: 'U1', by: 'verified_email' }, 'member:a11c-alice', 'slack'), 'Alice linked their Slack account.'],
  [row('claude_code_user.mapped', null, { member: 'alice', memberId: 'a11c-alice' }, 'claude_code_user:cc-1', 'member:a11c-alice (alice) via console'), 'Alice claimed the Claude Code user cc-1 for Alice.'],
  [row('claude_code_user.remapped', { member: 'alice', memberId: 'a11c-alice' }, { member: 'bob', memberId: 'b0b0-bob' }, 'claude_code_user:cc-1'), 'Olivia Owner moved the Claude Code user cc-1 from Alice to Bob Brown.'],
  [row('claude_code_user.unmapped', { member: 'bob', memberId: 'b0b0-bob' }, null, 'claude_code_user:cc-1'), 'Olivia Owner released the Claude Code user cc-1 from Bob Brown.'],
  [row('seat_tier.set', { includedAllowanceNanos: null, windowMinutes: null }, { includedAllowanceNanos: '3000000000', windowMinutes: 300 }, 'tier:premium', 'operator'), 'The operator changed the Premium seat: included usage $3.00, window 5 hours.'],
  [row('member.create', null, { externalId: 'owner-1', role: 'primary_owner' }, 'member:0b1c-olivia', 'operator'), 'The operator added Olivia Owner (role primary owner).'],
  [row('org.create', null, { slug: 'acme', name: 'Acme', plan: 'enterprise' }, 'org', 'operator'), 'The operator created the organisation.'],
  [row('org.update', { orgMonthlyCapNanos: '1000000000000', extraUsageEnabled: false }, { orgMonthlyCapNanos: '1500000000000', extraUsageEnabled: true }, 'org', 'operator'), "The operator changed the organisation's settings: spending cap $1,000.00 → $1,500.00, extra usage off → on."],
  [row('seat_tier.set', { windowMinutes: 300 }, { windowMinutes: 240 }, 'tier:standard', 'operator'), 'The operator changed the Standard seat: window 5 hours → 4 hours.'],
  [row('price.added', null, { input: '3.00' }, 'price:claude-sonnet-4-5>0@2026-01-01T00:00:00.000Z', 'operator'), 'The operator added a price for claude-sonnet-4-5.'],
  [row('model_alias.added', null, { alias: 'sonnet', family: 'claude-sonnet-4-5', via: 'price map x' }, 'model_alias:sonnet', 'operator'), 'The operator added the model name sonnet for claude-sonnet-4-5.'],
  [row('price_modifier.added', null, {}, 'price_modifier:claude-sonnet-4-5:region=eu@2026-01-01T00:00:00.000Z', 'operator'), 'The operator added a price modifier for claude-sonnet-4-5.'],
];

/** Every audit action the source writes: literals next to writeAudit, provisioning's note(…), and `balance.${kind}`. */
function actionsInSource(): Set<string> {
  const root = resolve(import.meta.dirname, '../../src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name === 'generated') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(root);
  const found = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!/writeAudit|AuditRecord|note\(/.test(text)) continue;
    for (const m of text.matchAll(/action: '([a-z_]+(?:\.[a-z_]+)+)'/g)) found.add(m[1]!);
    for (const m of text.matchAll(/note\('([a-z_]+(?:\.[a-z_]+)+)'/g)) found.add(m[1]!);
    if (text.includes('action: `balance.${credit.kind}`')) {
      const kinds = /kind: ((?:'[a-z_]+' \| )*'[a-z_]+');/.exec(text)?.[1] ?? '';
      for (const k of kinds.matchAll(/'([a-z_]+)'/g)) found.add(`balance.${k[1]}`);
    }
  }
  return found;
}

describe('auditSentence', () => {
  it.each(SAMPLES.map(([r, s]) => [r.action, r, s] as const))('%s', (_action, r, sentence) => {
    expect(auditSentence(r, names, 'Europe/Paris')).toBe(sentence);
  });

  it('has a sample, words for the filter and a sentence of its own for every kind of entry the code writes', () => {
    const inSource = actionsInSource();
    expect(inSource.size).toBeGreaterThan(40);
    const sampled = new Set(SAMPLES.map(([r]) => r.action));
    expect([...inSource].filter((a) => !sampled.has(a)).sort()).toEqual([]);
    expect([...inSource].filter((a) => !ACTION_WORDS[a]).sort()).toEqual([]);
    // None falls through to the generic "<actor>: <action words>." sentence.
    for (const [r] of SAMPLES) expect(auditSentence(r, names, 'UTC'), r.action).not.toMatch(/: [A-Z][a-z-]+( [a-z-]+)*\.$/);
    for (const a of SIGN_IN_ACTIONS) expect(inSource.has(a), a).toBe(true);
  });

  it('says no id, no camelCase key and no ISO instant', () => {
    for (const [r] of SAMPLES) {
      const s = auditSentence(r, names, 'Europe/Paris');
      expect(s, r.action).not.toMatch(/member:|0b1c|a11c|b0b0|\b[a-z]+[A-Z][a-zA-Z]*\b|\d{4}-\d{2}-\d{2}T/);
    }
  });

  it('names a member no longer known by their external id, and one with none as a former member', () => {
    const none = { byId: new Map<string, string>(), byExternalId: new Map<string, string>() };
    expect(auditSentence(row('cap.member.set', { cap: '1.00' }, { cap: '2.00' }, 'member:gone', 'member:x (owner-9) via api_key:k'), none)).toBe("owner-9 raised a former member's limit from $1.00 to $2.00.");
  });

  it('an unknown kind still reads as who did what', () => {
    expect(auditSentence(row('something.new', null, null), names)).toBe('Olivia Owner: something.new.');
  });
});

describe('memberRefsOf', () => {
  it('lists the members an entry mentions, for the page to name', () => {
    expect(memberRefsOf(row('request.decided', { status: 'pending' }, { member: 'member:b0b0-bob' }, 'request:r1'))).toEqual({ ids: ['0b1c-olivia', 'b0b0-bob'], externalIds: ['owner-1'] });
    expect(memberRefsOf(row('claude_code_user.mapped', null, { member: 'alice', memberId: 'a11c-alice' }, 'claude_code_user:c'))).toEqual({ ids: ['0b1c-olivia', 'alice', 'a11c-alice'], externalIds: ['owner-1', 'alice'] });
  });
});
