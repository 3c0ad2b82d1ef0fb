// The owners' notice choices: who is told of what (docs/notices.md). Owners and admins
// read them (admins see the same in the console), only owners change them; every change audited.
import { z } from 'zod';
import { requireAdmin } from '../../ledger/actors.js';
import { noticeSettingsOf, setNoticeSettings } from '../../ledger/settings/notice-settings.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

const thresholds = (what: string) => z.array(z.number().int().min(1).max(100)).max(100)
  .describe(`Percentages of ${what} (whole numbers 1 to 100) at which owners are told; kept sorted, each once; [] for none`);

const noticeSettings = z.object({
  memberCapReached: z.boolean().describe('Owners are told when a member reaches their monthly cap (or their cap on a product)'),
  orgCapThresholds: thresholds('the org\'s monthly cap'),
  tierCapThresholds: thresholds('a seat tier\'s monthly cap (enterprise)'),
});

export function noticeRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/v1/settings/notices', tag: 'settings', auth: 'person',
      summary: 'Which notices owners get: a member reaching their cap, and the org and seat-tier cap thresholds (owners and admins read)',
      response: noticeSettings,
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return noticeSettingsOf(await loadOrg(deps.db, auth.org!.id));
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/notices', tag: 'settings', auth: 'person',
      summary: 'Choose which notices owners get; fields left out stay as they are (owners, audited)',
      body: noticeSettings.partial().strict(),
      response: noticeSettings,
      async handler({ auth, body }) {
        return setNoticeSettings(deps.db, auth.org!, auth.actor!, {
          ...(body.memberCapReached !== undefined ? { memberCapReached: body.memberCapReached } : {}),
          ...(body.orgCapThresholds ? { orgCapThresholds: body.orgCapThresholds } : {}),
          ...(body.tierCapThresholds ? { tierCapThresholds: body.tierCapThresholds } : {}),
        });
      },
    }),
  ];
}
