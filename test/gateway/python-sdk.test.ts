// The official `anthropic` Python SDK through the built-in gateway: create, stream,
// count_tokens and the models list, with a member's personal key; its usage recorded.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { HAIKU } from '../support/fixtures.js';
import { gatewayOrg, startGateway, type GatewayUnderTest } from './support.js';

let scratch: Scratch;
let g: GatewayUnderTest;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  g = await startGateway(scratch.db.prisma);
});
afterAll(async () => {
  await g?.close();
  await scratch?.dispose();
});

const SCRIPT = `
import json, sys, anthropic
client = anthropic.Anthropic(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
out = {}
m = client.messages.create(model=sys.argv[3], max_tokens=100, messages=[{"role": "user", "content": "Hello"}])
out["create"] = {"text": m.content[0].text, "usage": {"input": m.usage.input_tokens, "output": m.usage.output_tokens}}
with client.messages.stream(model=sys.argv[3], max_tokens=100, messages=[{"role": "user", "content": "Stream"}]) as s:
    text = "".join(s.text_stream)
    final = s.get_final_message()
out["stream"] = {"text": text, "output": final.usage.output_tokens}
out["count"] = client.messages.count_tokens(model=sys.argv[3], messages=[{"role": "user", "content": "Count"}]).input_tokens
out["models"] = [x.id for x in client.models.list()]
try:
    anthropic.Anthropic(base_url=sys.argv[1], api_key="eug_unknown", max_retries=0).messages.create(model=sys.argv[3], max_tokens=10, messages=[{"role": "user", "content": "x"}])
except anthropic.AuthenticationError as e:
    out["unknownKey"] = {"status": e.status_code, "type": e.body["error"]["type"]}
print(json.dumps(out))
`;

function python(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('python3', ['-c', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

it('the Python SDK creates, streams, counts tokens and lists models through the gateway; each model request is recorded once', async () => {
  const o = await gatewayOrg(g);
  const { key } = await o.keyFor('alice');
  g.standIn.plan({ usage: { input_tokens: 321, output_tokens: 45 }, text: 'Hi from upstream.' });
  g.standIn.countTokensAnswer = 77;
  const records = g.records.length;
  const run = await python([g.gatewayUrl, key, HAIKU]);
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({
    create: { text: 'Hi from upstream.', usage: { input: 321, output: 45 } },
    stream: { text: 'Hi from upstream.', output: 45 },
    count: 77,
    models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
    unknownKey: { status: 401, type: 'authentication_error' },
  });
  await g.recorded(records + 2);
  const events = await o.events();
  expect(events).toHaveLength(2);
  for (const e of events) expect(e).toMatchObject({ inputTokens: 321, outputTokens: 45, product: 'api' });
});
