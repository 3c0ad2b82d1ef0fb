// Reads a Messages API answer's usage while its bytes pass to the client unchanged:
// for a stream, message_start's usage then message_delta's cumulative counts (parsed
// with eventsource-parser as the chunks go by, nothing held back); for a JSON answer,
// its `usage` once the (small) body is complete.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';

const count = z.number().int().nonnegative().nullable().optional();
// What is read; every other field of usage is kept as it came (passthrough).
const usageShape = z.object({ input_tokens: count, output_tokens: count, cache_creation_input_tokens: count, cache_read_input_tokens: count }).passthrough();
const messageStart = z.object({ type: z.literal('message_start'), message: z.object({ id: z.string(), model: z.string().optional(), usage: usageShape }) });
const messageDelta = z.object({ type: z.literal('message_delta'), usage: usageShape.nullable().optional() });
const jsonMessage = z.object({ id: z.string(), type: z.literal('message'), model: z.string().optional(), usage: usageShape });

export type Usage = z.infer<typeof usageShape>;

export interface TappedUsage {
  /** The message id (the record's idempotency key), when the answer named one. */
  messageId: string | null;
  usage: Usage | null;
  /** A stream's message_stop arrived (or the JSON answer was complete). */
  complete: boolean;
}

export interface UsageTap {
  /** Feed every chunk as it is passed on. */
  push(chunk: Buffer): void;
  /** After the last chunk (or the break): what was used. */
  end(): TappedUsage;
}

/** Null fields of message_delta's usage do not erase what message_start said. */
function merge(into: Usage | null, next: Usage): Usage {
  const out: Usage = { ...(into ?? {}) } as Usage;
  for (const [k, v] of Object.entries(next)) if (v !== null && v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function streamTap(): UsageTap {
  const decoder = new TextDecoder();
  const state: TappedUsage = { messageId: null, usage: null, complete: false };
  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      if (event.event !== 'message_start' && event.event !== 'message_delta' && event.event !== 'message_stop') return;
      if (event.event === 'message_stop') {
        state.complete = true;
        return;
      }
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      const start = messageStart.safeParse(data);
      if (start.success) {
        state.messageId = start.data.message.id;
        state.usage = merge(null, start.data.message.usage);
        return;
      }
      const delta = messageDelta.safeParse(data);
      if (delta.success && delta.data.usage) state.usage = merge(state.usage, delta.data.usage);
    },
  });
  return {
    push(chunk) {
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    end() {
      parser.feed(decoder.decode());
      return state;
    },
  };
}

/** JSON answers are small (a message): the chunks are kept to read usage at the end. */
export function jsonTap(limitBytes = 16 * 1024 * 1024): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    },
    end() {
      if (size > limitBytes) return { messageId: null, usage: null, complete: false };
      try {
        const m = jsonMessage.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        return m.success ? { messageId: m.data.id, usage: m.data.usage, complete: true } : { messageId: null, usage: null, complete: false };
      } catch {
        return { messageId: null, usage: null, complete: false };
      }
    },
  };
}
