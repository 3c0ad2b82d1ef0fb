// Realistic data for the benchmarks: an enterprise org with 1,000 members over both
// tiers, caps set, and usage history from a mix of models and token kinds.
import { randomUUID } from 'node:crypto';

export const MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5', 'claude-haiku-3-5'];

export function orgDocument(members = 1000) {
  return {
    name: 'Bench Corp',
    plan: 'enterprise',
    timezone: 'America/New_York',
    seatTiers: {
      standard: { includedAllowance: '2.00', windowMinutes: 300 },
      premium: { includedAllowance: '6.00', windowMinutes: 300 },
    },
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '1000000.00', tierCaps: { standard: '500000.00', premium: null } },
    members: Array.from({ length: members }, (_, i) => ({
      externalId: `user-${i}`,
      name: `User ${i}`,
      role: i === 0 ? 'primary_owner' : i < 5 ? 'owner' : i < 20 ? 'admin' : 'member',
      seatTier: i % 3 === 0 ? 'premium' : 'standard',
      extraUsageCap: i % 10 === 0 ? null : '200.00',
    })),
  };
}

/** A usage object as the Messages API reports it: some cache reads and writes, varied sizes. */
export function usageSample(i: number) {
  const input = 500 + ((i * 7919) % 20_000);
  const cacheRead = i % 3 === 0 ? 10_000 + ((i * 104729) % 50_000) : 0;
  const cacheWrite5m = i % 5 === 0 ? 2_000 : 0;
  const cacheWrite1h = i % 11 === 0 ? 1_000 : 0;
  return {
    input_tokens: input,
    output_tokens: 100 + ((i * 31) % 4_000),
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite5m + cacheWrite1h,
    cache_creation: { ephemeral_5m_input_tokens: cacheWrite5m, ephemeral_1h_input_tokens: cacheWrite1h },
  };
}

export async function seed(url: string, operatorToken: string, opts: { members?: number; history?: number } = {}) {
  const op = { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' };
  // The document is applied in one transaction, which a very busy machine can run past
  // its time limit (a 500): applying it again is safe (PUT), so it is tried up to six
  // times, a little later each time (the machine's load, not a condition to wait for).
  for (let attempt = 1; ; attempt++) {
    const put = await fetch(`${url}/v1/operator/orgs/bench`, { method: 'PUT', headers: op, body: JSON.stringify(orgDocument(opts.members)) });
    if (put.ok) break;
    if (put.status < 500 || attempt === 6) throw new Error(`provision failed: ${put.status} ${await put.text()}`);
    await new Promise((r) => setTimeout(r, 2000 * attempt));
  }
  const key = (await (await fetch(`${url}/v1/operator/orgs/bench/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'bench', scopes: ['usage', 'settings'] }) })).json()).key as string;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const members = opts.members ?? 1000;
  let next = 0;
  const total = opts.history ?? 3000;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < total) {
      const i = next++;
      const res = await fetch(`${url}/v1/usage/record`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ requestId: randomUUID(), member: `user-${i % members}`, model: MODELS[i % MODELS.length], usage: usageSample(i) }),
      });
      if (!res.ok) throw new Error(`seed record failed: ${res.status} ${await res.text()}`);
    }
  }));
  return { key, members };
}
