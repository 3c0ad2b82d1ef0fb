// "key": a member's personal gateway key made, listed and revoked from Teams, through
// the real botbuilder CloudAdapter answering to a local Bot Connector stand-in. The key
// is sent once, to the member's personal chat, with the console's lines to paste; the
// gateway then knows the key as that member; every make and revoke is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeLines } from '../../../src/gateway/claude-code-lines.js';
import { authenticateGatewayKey } from '../../../src/gateway/keys.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { startTeamsHarness, teamsEnterpriseDoc, USERS, type TeamsHarness, type TeamsUser } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc())).orgId;
  h = await startTeamsHarness(scratch.db.prisma, {} as RequestService, { config: { PUBLIC_URL: 'https://usage.example.com' } });
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

/** Sends the words to the bot in the user's personal chat and waits for the next text answered there. */
async function say(user: TeamsUser, words: string): Promise<string> {
  const seen = h.connector.calls.length;
  expect((await h.message(user, words)).status).toBe(200);
  const [reply] = await h.connector.waitFor('send', (c) => h.connector.calls.indexOf(c) >= seen && c.conversationId === personalConversationId(user.aadObjectId) && typeof c.body?.text === 'string');
  return String(reply!.body?.text ?? '');
}

const KEY = /eug_[A-Za-z0-9_-]{43}/g;

describe('Teams "key"', () => {
  it('makes a key sent once to the member\'s personal chat, with the lines to paste, that the gateway knows as them; lists and revokes it', async () => {
    const db = scratch.db.prisma;
    const bob = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } });
    const made = await say(USERS.bob, 'key');
    const [secret, ...others] = made.match(KEY) ?? [];
    expect(secret).toBeDefined();
    expect(others.every((k) => k === secret)).toBe(true);
    const lines = claudeCodeLines('https://usage.example.com/anthropic', secret!);
    expect(made).toContain(lines.shell);
    expect(made).toContain(lines.settings);
    expect(await authenticateGatewayKey(db, secret!, new Date())).toMatchObject({ orgId, memberId: bob.id });
    const created = await db.auditEntry.findFirstOrThrow({ where: { orgId, action: 'gateway_key.create' } });
    expect(created.actor).toBe(`member:${bob.id} (bob) via teams`);

    const prefix = secret!.slice(0, 12);
    const listed = await say(USERS.bob, 'key list');
    expect(listed).toContain(`${prefix}… "Claude Code (Teams)"`);
    expect(listed).not.toMatch(KEY);

    // Alice cannot revoke Bob's key from her chat.
    expect(await say(USERS.alice, `key revoke ${prefix}`)).toContain('Nothing was revoked');
    expect(await authenticateGatewayKey(db, secret!, new Date())).toMatchObject({ memberId: bob.id });

    expect(await say(USERS.bob, `key revoke ${prefix}`)).toContain(`Revoked: ${prefix}…`);
    expect(await authenticateGatewayKey(db, secret!, new Date())).toBe('revoked');
    expect((await db.auditEntry.findFirstOrThrow({ where: { orgId, action: 'gateway_key.revoke' } })).actor).toBe(`member:${bob.id} (bob) via teams`);
  });

  it('makes no key for a Teams user not linked to a member', async () => {
    const before = await scratch.db.prisma.gatewayKey.count();
    expect((await h.message(USERS.stranger, 'key')).status).toBe(200);
    await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.stranger.aadObjectId));
    expect(await scratch.db.prisma.gatewayKey.count()).toBe(before);
  });
});
