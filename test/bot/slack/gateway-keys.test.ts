// "/usage key": a member's personal gateway key made, listed and revoked from Slack,
// through the real Bolt app with signed requests. The key is answered once, in an
// ephemeral reply, with the console's lines to paste; the gateway then knows the key
// as that member; every make and revoke is audited as done in Slack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeLines } from '../../../src/gateway/claude-code-lines.js';
import { authenticateGatewayKey } from '../../../src/gateway/keys.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc())).orgId;
  h = await startSlackHarness(scratch.db.prisma, noRequests(), { publicUrl: 'https://usage.example.com' });
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

async function key(user: string, text: string) {
  const { responseUrl } = await h.command(user, '/usage', text);
  const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
  return reply!.args as { text: string; response_type: string };
}

const KEY = /eug_[A-Za-z0-9_-]{43}/g;

describe('/usage key', () => {
  it('makes a key shown once to the member only, with the lines to paste, that the gateway knows as them; lists and revokes it', async () => {
    const db = scratch.db.prisma;
    const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    const made = await key(USERS.alice, 'key');
    expect(made.response_type).toBe('ephemeral');
    const [secret, ...others] = made.text.match(KEY) ?? [];
    expect(secret).toBeDefined();
    // The same key in both blocks, and nothing else looking like a key.
    expect(others.every((k) => k === secret)).toBe(true);
    const lines = claudeCodeLines('https://usage.example.com/anthropic', secret!);
    expect(made.text).toContain(lines.shell);
    expect(made.text).toContain(lines.settings);
    expect(await authenticateGatewayKey(db, secret!, new Date())).toMatchObject({ orgId, memberId: alice.id });
    const created = await db.auditEntry.findFirstOrThrow({ where: { orgId, action: 'gateway_key.create' } });
    expect(created.actor).toBe(`member:${alice.id} (alice) via slack`);
    expect(JSON.stringify([created.before, created.after])).not.toContain(secret);

    // Listed by prefix only: the key itself is never shown again.
    const listed = await key(USERS.alice, 'key list');
    const prefix = secret!.slice(0, 12);
    expect(listed.text).toContain(`${prefix}… "Claude Code (Slack)"`);
    expect(listed.text).not.toMatch(KEY);

    // Another member cannot revoke it from chat: it is not one of theirs.
    const bobs = await key(USERS.bob, `key revoke ${prefix}…`);
    expect(bobs.text).toContain('Nothing was revoked');
    expect(await authenticateGatewayKey(db, secret!, new Date())).toMatchObject({ memberId: alice.id });

    const revoked = await key(USERS.alice, `key revoke ${prefix}…`);
    expect(revoked.text).toContain(`Revoked: ${prefix}…`);
    expect(await authenticateGatewayKey(db, secret!, new Date())).toBe('revoked');
    const audit = await db.auditEntry.findFirstOrThrow({ where: { orgId, action: 'gateway_key.revoke' } });
    expect(audit.actor).toBe(`member:${alice.id} (alice) via slack`);
    expect((await key(USERS.alice, 'key list')).text).toContain('You have no gateway key');
  });

  it('names a key when asked, and refuses a name it would not show safely, making nothing', async () => {
    const db = scratch.db.prisma;
    expect((await key(USERS.bob, 'key new laptop 2')).text).toContain('Your new gateway key "laptop 2"');
    const before = await db.gatewayKey.count({ where: { orgId } });
    expect((await key(USERS.bob, 'key new <!channel>')).text).toContain('Nothing was made');
    expect(await db.gatewayKey.count({ where: { orgId } })).toBe(before);
  });

  it('gives a Slack user who is not linked to a member no key', async () => {
    const before = await scratch.db.prisma.gatewayKey.count();
    const reply = await key(USERS.stranger, 'key');
    expect(reply.text ?? '').not.toMatch(KEY);
    expect(await scratch.db.prisma.gatewayKey.count()).toBe(before);
  });
});
