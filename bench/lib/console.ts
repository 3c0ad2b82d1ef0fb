// The console's pages under `npm run bench`: an enterprise org of 5,000 members with a
// month of usage (records dated over the last 30 days, the current month's spend
// spread over everyone), an owner's session cookie, and autocannon asking for the
// pages an owner opens most: Usage (the first 50 members by spend, and a page deep in
// the list by name) and Spend. Judged against issue 13's target: a page renders in
// under 200 ms (p99, one owner at a time; and two at once beside it).
import { randomUUID } from 'node:crypto';
import { cpuMeter } from './cpu.js';
import { load, type LoadResult } from './load.js';
import { MODELS, seed, usageSample } from './seed.js';
import { freshPostgres, startServiceProcess } from './service-process.js';

export const CONSOLE_MEMBERS = 5000;
export const CONSOLE_RECORDS = Number(process.env.BENCH_CONSOLE_RECORDS ?? 25_000);
export const PAGE_TARGET_MS = 200;
const DAY = 86_400_000;

export interface ConsoleLine extends LoadResult {
  connections: number;
  /** CPU time the service process spent per page (user + system), or null where /proc is missing. */
  cpuMsPerPage: number | null;
}

/** Usage spread over the last 30 days, every member some, a few members much more. */
async function monthOfUsage(url: string, key: string, records: number): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const now = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < records) {
      const i = next++;
      // Every member once, then a skew towards the first few hundred (a spend ranking worth sorting).
      const member = i < CONSOLE_MEMBERS ? i : (i * 7919) % (i % 4 === 0 ? 300 : CONSOLE_MEMBERS);
      const at = new Date(now - ((i * 104_729) % (30 * DAY)) - 60_000).toISOString();
      const res = await fetch(`${url}/v1/usage/record`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ requestId: randomUUID(), member: `user-${member}`, model: MODELS[i % MODELS.length], usage: usageSample(i), at, product: i % 3 === 0 ? 'claude_code' : 'claude' }),
      });
      if (!res.ok) throw new Error(`console seed record failed: ${res.status} ${await res.text()}`);
    }
  }));
}

/**
 * The 5,000 members' org. Provisioning writes them in one transaction; on a machine busy
 * with other work it can outlast the transaction's time limit (a 500, nothing kept), and
 * the document is idempotent, so it is sent again.
 */
async function provision(url: string, operatorToken: string): Promise<{ key: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await seed(url, operatorToken, { members: CONSOLE_MEMBERS, history: 0 });
    } catch (err) {
      if (attempt >= 3) throw err;
      console.error(`console bench: provisioning failed (${(err as Error).message}); again`);
    }
  }
}

/** An owner's console session cookie, from an operator sign-in link used through the API. */
async function ownerCookie(url: string, operatorToken: string): Promise<string> {
  const link = await fetch(`${url}/v1/operator/orgs/bench/sign-in-links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member: 'user-0' }),
  });
  if (!link.ok) throw new Error(`sign-in link: ${link.status} ${await link.text()}`);
  const { token } = (await link.json()) as { token: string };
  const signIn = await fetch(`${url}/v1/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (!signIn.ok) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
  return `eu_session=${((await signIn.json()) as { session: string }).session}`;
}

export async function measureConsole(seconds: number, databases: readonly ('pglite' | 'postgres')[], log: (r: ConsoleLine) => void): Promise<void> {
  for (const database of databases) {
    const pgdb = database === 'postgres' ? await freshPostgres() : null;
    const service = await startServiceProcess({ databaseUrl: pgdb?.url, port: 3920 + (database === 'postgres' ? 1 : 0) });
    try {
      const { key } = await provision(service.url, service.operatorToken);
      await monthOfUsage(service.url, key, CONSOLE_RECORDS);
      const cookie = await ownerCookie(service.url, service.operatorToken);
      // The page must be the page: a redirect to sign-in would be a fast wrong answer.
      const check = await fetch(`${service.url}/usage`, { headers: { cookie }, redirect: 'manual' });
      const body = await check.text();
      if (check.status !== 200 || (!body.includes(`${CONSOLE_MEMBERS.toLocaleString('en-US')} members`) && !body.includes(`${CONSOLE_MEMBERS} members`))) {
        throw new Error(`/usage did not render the ${CONSOLE_MEMBERS} members' page: ${check.status}`);
      }
      const pages: [string, string][] = [
        ['console /usage (top 50 of 5,000 by spend)', '/usage'],
        ['console /usage?sort=name&page=60', '/usage?sort=name&page=60'],
      ];
      if ((await fetch(`${service.url}/spend`, { headers: { cookie }, redirect: 'manual' })).status === 200) pages.push(['console /spend (month, 5,000 members)', '/spend']);
      // The other pages an owner opens: a member's month, seat advice (the operator's
      // seat prices set first, so every member's months are replayed), the audit log
      // (5,000 members' provisioning entries), their own usage.
      const prices = await fetch(`${service.url}/v1/operator/orgs/bench/seat-prices`, {
        method: 'PUT', headers: { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ standard: '25', premium: '60' }),
      });
      if (!prices.ok) throw new Error(`seat prices: ${prices.status} ${await prices.text()}`);
      pages.push(
        ['console /spend/members/user-7 (a member\'s month)', '/spend/members/user-7'],
        ['console /seats (seat advice, 5,000 members)', '/seats'],
        ['console /audit (first page)', '/audit'],
        ['console /me (the owner\'s own usage)', '/me'],
      );
      for (const [, path] of pages) {
        const res = await fetch(`${service.url}${path}`, { headers: { cookie }, redirect: 'manual' });
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}, not the page`);
      }
      for (const [name, path] of pages) {
        for (const connections of [1, 2]) {
          const cpu = cpuMeter([service.pid]);
          const r = await load({ name: `${name}, ${connections} at once`, database, url: service.url, path, method: 'GET', headers: { cookie }, connections, seconds });
          const used = cpu();
          log({ ...r, connections, cpuMsPerPage: used && r.requests > 0 ? Math.round((used.service * 1000) / r.requests) : null });
        }
      }
    } finally {
      await service.stop();
      await pgdb?.drop();
    }
  }
}

export function consoleReport(lines: readonly ConsoleLine[], meta: { machine: string; commit: string; command: string; seconds: number }): string {
  const verdict = (r: ConsoleLine) => (r.errors > 0 ? `failed (${r.errors} errors)` : r.p99 <= PAGE_TARGET_MS ? 'met' : `short (p99 ${r.p99} ms)`);
  return `## Console pages (issue 13: under ${PAGE_TARGET_MS} ms)

Written by \`npm run bench\` (\`BENCH_ONLY=console npm run bench\` runs only this part).
The service as its own process; an enterprise org of ${CONSOLE_MEMBERS.toLocaleString('en-US')} members with a month
of usage (${CONSOLE_RECORDS.toLocaleString('en-US')} records dated over the last 30 days on four models and two
products, every member some); an owner's session cookie; autocannon GETs the page
over loopback for ${meta.seconds} s per line, with one and with two owners at once. The
whole page is rendered each time (server-side HTML, nothing cached between requests).
Verdict: p99 at most ${PAGE_TARGET_MS} ms and no error (a non-2xx answer, such as a redirect
to sign-in, counts as an error).

- Machine: ${meta.machine}
- Commit: ${meta.commit}
- Command: \`${meta.command}\`
- Date: ${new Date().toISOString()}

| page | database | at once | pages/s | p50 ms | p99 ms | max ms | errors | service CPU ms per page | under ${PAGE_TARGET_MS} ms (p99) |
|---|---|---|---|---|---|---|---|---|---|
${lines.map((r) => `| ${r.name.replace(/, \d at once$/, '')} | ${r.database} | ${r.connections} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors} | ${r.cpuMsPerPage ?? 'n/a'} | ${verdict(r)} |`).join('\n')}

*Service CPU ms per page*: the CPU time the service process used during the line
divided by the pages it served (/proc; on PGlite the database runs inside that
process, on PostgreSQL the server's own work is not in it). Where the machine's cores
are busy with other work, latency also counts the wait for a core and this column does
not: it is the better guide to the render time on an idle machine. The verdict is
judged on p99 all the same.
`;
}
