// "Continue on extra usage when my seat's included usage runs out": the acting member's
// own choice (for themselves only), and the owners' default for members who made none.
import { z } from 'zod';
import { continueChoiceOf, setContinueDefault, setOwnContinueChoice } from '../../ledger/settings/continue-choice.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

const choiceResponse = z.object({
  enabled: z.boolean().describe('What applies to the member now: true, they go on as extra usage once their seat\'s included usage runs out; false, they stop there until it comes back'),
  setBy: z.enum(['member', 'org_default']).describe('member: their own choice; org_default: they made none, the owners\' default applies'),
  orgDefault: z.boolean().describe('The default the organisation\'s owners chose'),
  extraUsageAvailable: z.boolean().describe('Whether extra usage is on for the member at all; false: the choice takes effect once it is'),
});

const enabledBody = z.object({ enabled: z.boolean() }).strict();

export function continueRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/v1/me/continue-on-extra-usage', tag: 'identity', auth: 'person',
      summary: 'The acting member\'s choice to continue on extra usage when their seat\'s included usage runs out',
      response: choiceResponse,
      async handler({ auth }) {
        const member = await deps.db.member.findUniqueOrThrow({ where: { id: auth.actor!.id } });
        return continueChoiceOf(auth.org!, member);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/me/continue-on-extra-usage', tag: 'identity', auth: 'person',
      summary: 'The acting member chooses, for themselves only, whether to continue on extra usage when their seat\'s included usage runs out (audited as continue.member.set); authorize follows it on the next request',
      body: enabledBody, response: choiceResponse,
      async handler({ auth, body }) {
        return setOwnContinueChoice(deps.db, auth.org!.id, auth.actor!, body.enabled, auth.actor!.via ? undefined : 'api');
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/continue-on-extra-usage', tag: 'settings', auth: 'person',
      summary: 'The default, for members who made no choice of their own, to continue on extra usage when their seat\'s included usage runs out (owners; audited as continue.default.set)',
      body: enabledBody, response: z.object({ orgDefault: z.boolean() }),
      async handler({ auth, body }) {
        const org = await setContinueDefault(deps.db, auth.org!, auth.actor!, body.enabled);
        return { orgDefault: org.continueOnExtraUsageDefault };
      },
    }),
  ];
}
