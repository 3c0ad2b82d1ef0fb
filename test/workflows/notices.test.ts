// Owners' notices on the Temporal dev server with the real worker: the month's invoice
// ready (total to the cent and a link to the console's billing page) told once however
// often month-end runs, and the owners' "member reached their cap" choice honoured.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previousPeriod } from '../../src/domain/invoices.js';
import { periodOf, periodStart } from '../../src/domain/periods.js';
import { setNoticeSettings } from '../../src/ledger/settings/notice-settings.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import type { MonthEndResult } from '../../workflows/month-end.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const TZ = 'Europe/Paris';
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let notifier: RecordingNotifier;
let worker: Awaited<ReturnType<typeof testWorker>>;
const db = () => scratch.db.prisma;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  notifier = recordingNotifier();
  worker = await testWorker(env, { db: db(), notifier, payments: ledgerOnlyPayments(db()), now: () => new Date(), publicUrl: 'https://usage.example.com/' });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

let n = 0;
const record = (orgId: string, member: string, cents: number, at?: Date) => recordUsage(db(), { orgId, requestId: randomUUID(), member, model: HAIKU, usage: usageOfCents(cents), ...(at ? { at } : {}) });
const execute = <T>(workflow: string, args: unknown[]) => env.client.workflow.execute(workflow, { taskQueue: worker.taskQueue, workflowId: `${workflow}/${randomUUID()}`, args }) as Promise<T>;
const alertsOf = (orgId: string, kind: string) => notifier.of('alert').filter((a) => a.alert.orgId === orgId && a.alert.kind === kind);

describe('invoice ready', () => {
  it('tells the owners once, with the total to the cent and a link to the month, however often month-end runs', async () => {
    const { orgId } = await provision(db(), `inv-${++n}`, enterpriseDoc());
    const period = previousPeriod(periodOf(new Date(), TZ));
    const at = new Date(periodStart(period, TZ).getTime() + 10 * 24 * 3600_000);
    await record(orgId, 'alice', 100, at); // her included $1
    await record(orgId, 'alice', 1_234, at); // $12.34 of extra
    await record(orgId, 'bob', 300, at); // his included $3
    await record(orgId, 'bob', 1, at); // $0.01 of extra

    const first = await execute<MonthEndResult>('monthEnd', [{ orgId, period }]);
    expect(first.invoice).toMatchObject({ created: true, total: '12.35' });
    expect(first.invoiceNotice).toBe('sent');
    const again = await execute<MonthEndResult>('monthEnd', [{ orgId, period }]);
    expect(again.invoice.created).toBe(false);
    expect(again.invoiceNotice).toBe('already_sent');

    const told = alertsOf(orgId, 'invoice_ready');
    expect(told).toHaveLength(1);
    expect(told[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(told[0]!.alert.title).toBe(`Acme's invoice for ${period} is ready: $12.35`);
    expect(told[0]!.alert.facts).toEqual({ Month: period, Total: '$12.35', Link: `https://usage.example.com/billing/${period}` });
  }, 60_000);
});

describe('statement ready', () => {
  it('tells a Team org\'s owners the month\'s total and the balance at its end (negative written -$), once', async () => {
    const { orgId } = await provision(db(), `stmt-${++n}`, teamDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null }, autoReload: { enabled: false } }));
    const period = previousPeriod(periodOf(new Date(), 'UTC'));
    const at = new Date(periodStart(period, 'UTC').getTime() + 10 * 24 * 3600_000);
    await record(orgId, 'alice', 100, at); // included
    await record(orgId, 'alice', 250, at); // $2.50 of extra, with no credit bought: the balance ends at -$2.50
    const result = await execute<MonthEndResult>('monthEnd', [{ orgId, period }]);
    expect(result.invoice).toMatchObject({ kind: 'statement', total: '2.50' });
    expect(result.invoiceNotice).toBe('sent');
    expect((await execute<MonthEndResult>('monthEnd', [{ orgId, period }])).invoiceNotice).toBe('already_sent');
    const told = alertsOf(orgId, 'invoice_ready');
    expect(told).toHaveLength(1);
    expect(told[0]!.alert.title).toBe(`Small Team's statement for ${period} is ready: $2.50`);
    expect(told[0]!.alert.facts).toEqual({ Month: period, Total: '$2.50', 'Closing balance': '-$2.50', Link: `https://usage.example.com/billing/${period}` });
  }, 60_000);
});

describe('member reached their cap', () => {
  const capEvent = async (orgId: string) => {
    await record(orgId, 'alice', 100); // included
    await record(orgId, 'alice', 5_100); // $51 of extra: past her $50 cap
    const e = await db().outboxEvent.findFirstOrThrow({ where: { orgId, type: 'member_cap_reached' } });
    return { orgId, eventId: String(e.id), event: { ...(e.payload as object), type: e.type } };
  };

  it('tells the owners beside the member by default, and only the member once an owner turns it off', async () => {
    const on = await provision(db(), `cap-on-${++n}`, enterpriseDoc());
    expect(await execute('capAlert', [await capEvent(on.orgId)])).toBe('sent');
    expect(alertsOf(on.orgId, 'member_cap_reached').map((a) => a.to.map((p) => p.externalId)).sort()).toEqual([['alice'], ['owner-1']]);
    // The same event again (a redelivery) tells nobody twice.
    expect(await execute('capAlert', [await capEvent(on.orgId)])).toBe('already_sent');
    expect(alertsOf(on.orgId, 'member_cap_reached')).toHaveLength(2);

    const off = await provision(db(), `cap-off-${++n}`, enterpriseDoc());
    const org = await db().organization.findUniqueOrThrow({ where: { id: off.orgId } });
    await setNoticeSettings(db(), org, await off.member('owner-1'), { memberCapReached: false });
    expect(await execute('capAlert', [await capEvent(off.orgId)])).toBe('sent');
    expect(alertsOf(off.orgId, 'member_cap_reached').map((a) => a.to.map((p) => p.externalId))).toEqual([['alice']]);
  }, 60_000);
});
