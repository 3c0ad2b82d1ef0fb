// /usage: the member's own usage, seat and limits, as a message only they see.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { notLinkedMessage, usageMessage } from '../../surfaces.js';

export const usageCommand = (deps: SlackDeps) => async ({ ack, command, respond, context }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
  await ack();
  const who = await identify(deps, idsOf(context, command, command.user_id));
  const message = who.kind === 'member' ? await usageMessage(deps, who) : notLinkedMessage(who);
  await respond({ response_type: 'ephemeral', ...message });
};
