// Where a click came from (a message, ephemeral or not, the App Home, a modal), and
// the blocks of the message as Slack sent them back, to update it in place.
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Block } from './views/blocks.js';
import type { MessageRef } from './views/modals.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export type Origin =
  | { kind: 'message'; ref: MessageRef; ephemeral: boolean; blocks: Block[] | null; text: string }
  | { kind: 'home'; viewId: string; privateMetadata: string }
  | { kind: 'modal'; viewId: string; privateMetadata: string; hash: string | undefined }
  | { kind: 'unknown' };

export function originOf(body: BlockAction): Origin {
  const c = body.container as { type?: string; channel_id?: string; message_ts?: string; is_ephemeral?: boolean; view_id?: string };
  if (c.type === 'message' && c.channel_id && c.message_ts) {
    return {
      kind: 'message',
      ref: { channel: c.channel_id, ts: c.message_ts },
      ephemeral: !!c.is_ephemeral,
      blocks: (body.message?.blocks as Block[] | undefined) ?? null,
      text: body.message?.text ?? '',
    };
  }
  if (c.type === 'view' && body.view) {
    if (body.view.type === 'home') return { kind: 'home', viewId: body.view.id, privateMetadata: body.view.private_metadata ?? '' };
    return { kind: 'modal', viewId: body.view.id, privateMetadata: body.view.private_metadata ?? '', hash: body.view.hash };
  }
  return { kind: 'unknown' };
}

export function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * Messages an admin opened a modal from, kept for a while so the message can be
 * updated in place once the modal is submitted (a digest page is not stored in
 * the database; a request card is, and is updated from there as well).
 */
export class RecentMessages {
  private readonly items = new Map<string, { blocks: Block[]; text: string; at: number }>();
  constructor(private readonly ttlMs = 30 * 60_000, private readonly max = 1000) {}
  private key = (ref: MessageRef) => `${ref.channel}:${ref.ts}`;
  remember(ref: MessageRef, blocks: Block[], text: string, now = Date.now()) {
    for (const [k, v] of this.items) if (now - v.at > this.ttlMs || this.items.size >= this.max) this.items.delete(k);
    this.items.set(this.key(ref), { blocks, text, at: now });
  }
  take(ref: MessageRef, now = Date.now()) {
    const item = this.items.get(this.key(ref));
    this.items.delete(this.key(ref));
    return item && now - item.at <= this.ttlMs ? item : null;
  }
}
