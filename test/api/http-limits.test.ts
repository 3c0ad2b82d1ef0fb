// The API's HTTP limits (issue #25: Node's defaults let 1,000 idle sockets stay 60-300 s):
// a client past its connection cap is cut at once, one that never finishes its headers
// is cut at the headers' deadline, an idle keep-alive connection at its timeout. The
// client under the cap is still answered meanwhile.
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { DEFAULT_HTTP_LIMITS } from '../../src/api/connection-limits.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { OPERATOR_TOKEN } from '../support/fixtures.js';

let scratch: Scratch;
let app: ReturnType<typeof buildServer>;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  app = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), http: { maxConnectionsPerClient: 3, headersTimeoutMs: 1_500, keepAliveTimeoutMs: 1_000, requestTimeoutMs: 5_000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await app?.close();
  await scratch?.dispose();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}
const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
const isOpen = async (s: Socket) => {
  // Still open: a request on it is answered.
  const answer = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString())));
  s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  return (await answer).startsWith('HTTP/1.1 200');
};

describe('HTTP limits', () => {
  it('has defaults set (not Node\'s)', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnectionsPerClient: 256 });
  });

  it('cuts a client\'s connection past the cap at once, and the slow and idle ones at their deadlines', async () => {
    const held = [await open(), await open(), await open()];
    const fourth = await open();
    await closed(fourth);
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(metrics.body).toMatch(/extra_usage_http_connections_refused_total [1-9]/);
    // The three under the cap: one answers (then idles), one sends half its headers and stops.
    expect(await isOpen(held[0]!)).toBe(true);
    held[1]!.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const slowAnswer = new Promise<string>((resolve) => held[1]!.once('data', (d) => resolve(d.toString())));
    await Promise.all([closed(held[0]!), closed(held[1]!)]);
    expect(await Promise.race([slowAnswer, Promise.resolve('none')])).toMatch(/^(none|HTTP\/1\.1 408)/);
    // Slots freed: a new connection is answered.
    expect(await isOpen(await open())).toBe(true);
  });
});
