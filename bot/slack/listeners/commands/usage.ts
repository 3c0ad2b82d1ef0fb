// /usage: the member's own usage, seat and limits, as a message only they see.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { handOutSignInLink } from '../../../../src/services/sign-in.js';
import { claimClaudeCodeFromChat } from '../../../../src/services/claude-code-claim.js';
import { gatewayKeyFromChat } from '../../../../src/services/gateway-keys-chat.js';
import { notLinkedMessage, usageMessage } from '../../surfaces.js';
import { chooseContinue } from '../actions/continue-choice.js';

export const usageCommand = (deps: SlackDeps) => async ({ ack, command, respond, context, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
  await ack();
  const who = await identify(deps, idsOf(context, command, command.user_id), client);
  if (who.kind !== 'member') {
    await respond({ response_type: 'ephemeral', ...notLinkedMessage(who) });
    return;
  }
  // "/usage signin": a single-use sign-in token for the API, bound to the Slack user Slack vouched for.
  if (command.text.trim().toLowerCase() === 'signin') {
    const link = await handOutSignInLink(deps.db, { orgId: who.org.id, memberId: who.member.id, channel: 'slack', ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) }, deps.now());
    await respond({ response_type: 'ephemeral', text: link.instructions });
    return;
  }
  // "/usage claude-code <user.id>": claim the Claude Code whose telemetry names nobody.
  const [sub, arg, ...more] = command.text.trim().split(/\s+/);
  // "/usage key [new <name> | list | revoke <prefix>]": personal gateway keys; a new key is in this ephemeral answer only.
  if (sub?.toLowerCase() === 'key') {
    const words = [arg, ...more].filter((w): w is string => Boolean(w));
    await respond({ response_type: 'ephemeral', text: await gatewayKeyFromChat({ db: deps.db, orgId: who.org.id, timezone: who.org.timezone, member: who.member, channel: 'slack', command: `${deps.command} key`, ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}), now: deps.now() }, words) });
    return;
  }
  if (sub?.toLowerCase() === 'claude-code') {
    await respond({ response_type: 'ephemeral', text: await claimClaudeCodeFromChat(deps.db, { orgId: who.org.id, member: who.member }, arg, 'slack', deps.now()) });
    return;
  }
  // "/usage continue" (or "/usage continue off"): the member's own choice to continue on extra usage, in one step.
  if (sub?.toLowerCase() === 'continue') {
    const off = arg?.toLowerCase() === 'off';
    if (arg && !off && arg.toLowerCase() !== 'on') {
      await respond({ response_type: 'ephemeral', text: `Nothing was changed: type \`${deps.command} continue\` to continue on extra usage when your included usage runs out, or \`${deps.command} continue off\` to stop at your seat's limit.` });
      return;
    }
    const { notice, who: now } = await chooseContinue(deps, who, !off);
    const usage = await usageMessage(deps, now);
    await respond({ response_type: 'ephemeral', text: notice, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: notice }] }, ...usage.blocks] });
    return;
  }
  await respond({ response_type: 'ephemeral', ...(await usageMessage(deps, who)) });
};
