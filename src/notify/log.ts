// The default notifier: writes each notification as one log line, so an operator
// without chat set up still sees what would have been sent.
import type { Notifier } from './port.js';

export function logNotifier(log: (line: string) => void = console.log): Notifier {
  const names = (people: { name: string }[]) => people.map((p) => p.name).join(', ') || 'nobody';
  return {
    async requestOpened(r, admins) {
      log(`[notify] extra usage request from ${r.requester.name} (${r.seatTier} seat) to ${names(admins)}`);
    },
    async requestReminder(r, admins) {
      log(`[notify] reminder: ${r.requester.name}'s request since ${r.requestedAt} is waiting for ${names(admins)}`);
    },
    async requestClosed(r, admins) {
      log(`[notify] ${r.requester.name}'s request is ${r.status}${r.decision ? ` (${r.decision})` : ''}${r.decidedBy ? ` by ${r.decidedBy.name}` : ''}; told ${names([r.requester, ...admins])}`);
    },
    async alert(a, to) {
      log(`[notify] ${a.kind} for ${a.orgName}: ${a.title} → ${names(to)}`);
    },
    async digest(d, admins) {
      log(`[notify] daily digest for ${d.orgName}: ${d.requests.length} outstanding request(s) → ${names(admins)}`);
    },
  };
}
