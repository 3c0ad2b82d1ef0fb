// A notifier that remembers what it was asked to send, for asserting on what
// people would see.
import type { AlertView, DigestView, Notifier, Person, RequestView } from '../../src/notify/port.js';

export type Sent =
  | { kind: 'requestOpened'; request: RequestView; to: Person[] }
  | { kind: 'requestReminder'; request: RequestView; to: Person[] }
  | { kind: 'requestClosed'; request: RequestView; to: Person[] }
  | { kind: 'alert'; alert: AlertView; to: Person[] }
  | { kind: 'digest'; digest: DigestView; to: Person[] };

export interface RecordingNotifier extends Notifier {
  sent: Sent[];
  of<K extends Sent['kind']>(kind: K): Extract<Sent, { kind: K }>[];
  waitFor<K extends Sent['kind']>(kind: K, count?: number, timeoutMs?: number): Promise<Extract<Sent, { kind: K }>[]>;
}

export function recordingNotifier(): RecordingNotifier {
  const sent: Sent[] = [];
  const of = <K extends Sent['kind']>(kind: K) => sent.filter((s): s is Extract<Sent, { kind: K }> => s.kind === kind);
  return {
    sent,
    of,
    async waitFor(kind, count = 1, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (of(kind).length < count) {
        if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${count} '${kind}' notification(s), saw ${of(kind).length}: ${JSON.stringify(sent.map((s) => s.kind))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return of(kind);
    },
    async requestOpened(request, to) { sent.push({ kind: 'requestOpened', request, to }); },
    async requestReminder(request, to) { sent.push({ kind: 'requestReminder', request, to }); },
    async requestClosed(request, to) { sent.push({ kind: 'requestClosed', request, to }); },
    async alert(alert, to) { sent.push({ kind: 'alert', alert, to }); },
    async digest(digest, to) { sent.push({ kind: 'digest', digest, to }); },
  };
}
