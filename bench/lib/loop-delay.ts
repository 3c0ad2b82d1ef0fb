// The service's event-loop delay during a line (issue 29): how long ready work waited
// for the loop while records and authorizes shared it. GET /metrics before the line
// starts a fresh window (the gauge covers the time since the previous scrape); after it,
// quantile 0.99 is the line's.
const P99 = /^extra_usage_event_loop_delay_seconds\{quantile="0\.99"\} (\S+)$/m;

async function scrape(url: string, operatorToken: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${operatorToken}` } });
  return res.ok ? res.text() : '';
}

/** Runs `run`, and the service's event-loop delay p99 (ms) meanwhile (null when not reported). */
export async function loopDelayDuring<T>(url: string, operatorToken: string, run: () => Promise<T>): Promise<{ result: T; p99Ms: number | null }> {
  await scrape(url, operatorToken);
  const result = await run();
  const m = P99.exec(await scrape(url, operatorToken));
  return { result, p99Ms: m ? Math.round(Number(m[1]) * 10_000) / 10 : null };
}
