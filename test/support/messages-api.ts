// A local stand-in for Anthropic's Messages API (its servers are unreachable here).
// The real @anthropic-ai/sdk client is pointed at it with the `baseURL` option. It
// answers POST /v1/messages as the API does: a JSON Message, or with `stream: true`
// the server-sent events message_start, content_block_start/delta/stop, message_delta
// (cumulative usage) and message_stop. It can fail the next attempts with 529/500
// (the SDK retries them), break a stream with an `error` event after the first text
// delta, as the API reports an overload mid-stream, or stall it there until the
// client hangs up. It also serves
// POST /v1/messages/count_tokens and GET /v1/models. Scripted replies (`script`) answer
// the next model calls one each, a tool call (tool_use, stop_reason tool_use) or text,
// as Claude Code's agent loop needs; every byte sent on a model call is kept (`sent`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelInfo, ToolUseBlock } from '@anthropic-ai/sdk/resources';

export interface StandInUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** How the next model calls are answered. */
export interface Plan {
  /** Statuses answered to the next attempts, one each, before a success. */
  failures?: number[];
  /** The message's final usage. */
  usage?: StandInUsage;
  text?: string;
  /** Streaming: send an overloaded `error` event after the first text delta. */
  breakStreamAfterFirstDelta?: boolean;
  /** Streaming: send nothing after the first text delta until the client hangs up. */
  stallStreamAfterFirstDelta?: boolean;
  /** The next model calls' replies, one each (then `text`): a tool call or a text. */
  script?: Reply[];
}

export type Reply = { text: string } | { toolUse: Pick<ToolUseBlock, 'name' | 'input'> };

export interface ReceivedRequest {
  path: string;
  body: any;
  /** X-Stainless-Retry-Count: 0 on a first attempt. */
  retryCount: number;
  headers: IncomingMessage['headers'];
}

export interface MessagesApiStandIn {
  url: string;
  /** Every request received, failed attempts included. */
  requests: ReceivedRequest[];
  /** Requests to POST /v1/messages only. */
  messageAttempts(): ReceivedRequest[];
  plan(plan: Plan): void;
  /** What count_tokens answers. */
  countTokensAnswer: number;
  /** The bytes of each answer to POST /v1/messages, in order. */
  sent: Buffer[];
  close(): Promise<void>;
}

const DEFAULT_USAGE: StandInUsage = { input_tokens: 100, output_tokens: 50 };
const ERROR_TYPES: Record<number, string> = { 500: 'api_error', 529: 'overloaded_error', 429: 'rate_limit_error' };

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startMessagesApi(): Promise<MessagesApiStandIn> {
  let plan: Required<Omit<Plan, 'failures'>> & { failures: number[] } = normalise({});
  let ids = 0;
  const requests: ReceivedRequest[] = [];
  const standIn = { countTokensAnswer: 0 };
  const sent: Buffer[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '').split('?')[0]!;
    const body = await readJson(req);
    requests.push({ path, body, retryCount: Number(req.headers['x-stainless-retry-count'] ?? 0), headers: req.headers });
    res.setHeader('request-id', `req_standin_${requests.length}`);
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') return json(res, 200, { input_tokens: standIn.countTokensAnswer });
    if (req.method === 'GET' && path === '/v1/models') return json(res, 200, { data: MODELS, has_more: false, first_id: MODELS[0]!.id, last_id: MODELS.at(-1)!.id });
    if (req.method !== 'POST' || path !== '/v1/messages') return json(res, 404, apiError('not_found_error', 'Not found'));

    const failure = plan.failures.shift();
    if (failure !== undefined) {
      // The SDK honours retry-after-ms: the test's retries take milliseconds, not seconds.
      res.setHeader('retry-after-ms', '5');
      return json(res, failure, apiError(ERROR_TYPES[failure] ?? 'api_error', 'Overloaded'));
    }
    const id = `msg_standin_${String(++ids).padStart(4, '0')}`;
    const { usage } = plan;
    const reply = plan.script.shift() ?? { text: plan.text };
    const text = 'text' in reply ? reply.text : '';
    const stopReason = 'toolUse' in reply ? 'tool_use' : 'end_turn';
    const message = { id, type: 'message', role: 'assistant', model: body.model, content: [] as unknown[], stop_reason: null as string | null, stop_sequence: null, usage };
    if (!body.stream) {
      const content = 'toolUse' in reply ? [{ type: 'tool_use', id: `toolu_${id}`, ...reply.toolUse }] : [{ type: 'text', text }];
      const bytes = Buffer.from(JSON.stringify({ ...message, content, stop_reason: stopReason }));
      sent.push(bytes);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(bytes);
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const answer: Buffer[] = [];
    sent.push(Buffer.alloc(0));
    const slot = sent.length - 1;
    const send = (event: string, data: unknown) => {
      const bytes = Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      answer.push(bytes);
      sent[slot] = Buffer.concat(answer);
      res.write(bytes);
    };
    // message_start carries the prompt's counts and the first output token.
    const startUsage = { ...usage, output_tokens: 1 };
    send('message_start', { type: 'message_start', message: { ...message, usage: startUsage } });
    if ('toolUse' in reply) {
      // A tool call: its input streamed as partial JSON, then stop_reason tool_use.
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_${id}`, name: reply.toolUse.name, input: {} } });
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(reply.toolUse.input) } });
      send('content_block_stop', { type: 'content_block_stop', index: 0 });
      const { cache_creation: _b, ...totals } = usage;
      send('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: totals });
      send('message_stop', { type: 'message_stop' });
      return res.end();
    }
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    send('ping', { type: 'ping' });
    const words = text.split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } });
      if (i === 0 && plan.breakStreamAfterFirstDelta) {
        send('error', apiError('overloaded_error', 'Overloaded'));
        return res.end();
      }
      if (i === 0 && plan.stallStreamAfterFirstDelta) return;
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    // Cumulative totals for the whole message, as the API sends them.
    const { cache_creation: _breakdown, ...totals } = usage;
    send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: totals });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sent,
    messageAttempts: () => requests.filter((r) => r.path === '/v1/messages'),
    plan(next) {
      plan = normalise(next);
    },
    get countTokensAnswer() {
      return standIn.countTokensAnswer;
    },
    set countTokensAnswer(n: number) {
      standIn.countTokensAnswer = n;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; close would wait for them.
        server.closeAllConnections();
      }),
  };
}

function normalise(p: Plan) {
  return {
    failures: [...(p.failures ?? [])],
    usage: p.usage ?? DEFAULT_USAGE,
    text: p.text ?? 'Hello from the stand-in.',
    breakStreamAfterFirstDelta: p.breakStreamAfterFirstDelta ?? false,
    stallStreamAfterFirstDelta: p.stallStreamAfterFirstDelta ?? false,
    script: [...(p.script ?? [])],
  };
}

const MODELS: ModelInfo[] = [
  { type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' } as ModelInfo,
  { type: 'model', id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', created_at: '2025-10-15T00:00:00Z' } as ModelInfo,
];

function apiError(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
