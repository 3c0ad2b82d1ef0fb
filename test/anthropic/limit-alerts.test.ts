// A member of a connected org crossing 80% of their effective limit at Anthropic (the
// report read through the real SDK from the stand-in): one outbox event, and owners get
// one alert however often it is delivered.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../src/activities/alerts.js';
import { adminClient } from '../../src/anthropic/client.js';
import { connectOrg } from '../../src/anthropic/connection.js';
import { listEffective, mirrorEffectiveLimits } from '../../src/anthropic/effective-limits.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-alerts-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let orgId: string;

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const db = scratch.db.prisma;
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(db, 'acme', doc)).orgId;
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  await connectOrg(db, { box: secretBox(randomBytes(32)), baseUrl: api.url }, orgId, KEY, 'operator');
  await mirrorMembers(db, orgId, await listAllUsers(adminClient(KEY, { baseUrl: api.url })), new Date());
  api.effective.push({
    actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
    amount: '10000', currency: 'USD', period: 'monthly', period_to_date_spend: '3000', scope: { type: 'user', user_id: 'user_alice' },
    source: { type: 'seat_tier', seat_tier: 'standard' }, spend_limit_id: 'spl_alice',
  });
});
afterAll(async () => {
  await api?.close();
  await scratch?.dispose();
});

const thresholdEvents = () => scratch.db.prisma.outboxEvent.findMany({ where: { orgId, type: 'claude_limit_threshold' }, orderBy: { id: 'asc' } });

describe('owners told of a member nearing their limit in Claude', () => {
  it('crossing 80% is one event and one owner alert, however often the report is read or the event delivered', async () => {
    const db = scratch.db.prisma;
    const sync = async () => mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    await sync(); // 30%: nothing
    expect(await thresholdEvents()).toEqual([]);
    api.effective[0]!.period_to_date_spend = '8050.5'; // $80.505 of $100
    await sync();
    await sync();
    api.effective[0]!.period_to_date_spend = '8500';
    await sync();
    const events = await thresholdEvents();
    expect(events.map((e) => e.payload)).toEqual([expect.objectContaining({ percent: 80, limitNanos: '100000000000', spendNanos: '80505000000', period: 'monthly', source: 'seat_tier' })]);

    const notifier = recordingNotifier();
    const acts = alertActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
    const input = { orgId, eventId: String(events[0]!.id), event: { ...(events[0]!.payload as object), type: 'claude_limit_threshold' } as never };
    expect(await acts.deliverAlert(input)).toBe('sent');
    expect(await acts.deliverAlert(input)).toBe('already_sent');
    const alerts = notifier.of('alert');
    expect(alerts).toHaveLength(1);
    const { alert: view, to } = alerts[0]!;
    expect(view.kind).toBe('claude_limit_threshold');
    expect(view.title).toBe('Alice has used 80% of their monthly spend limit in Claude');
    expect(view.text).toContain('$80.51 of $100.00'); // cents where people read it (the exact $80.505 is in the report)
    expect(to.map((p) => p.externalId)).toEqual(['owner-1']);
  });
});
