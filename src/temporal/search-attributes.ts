// Our custom search attributes: what an operator filters workflows by in the Temporal UI
// and `temporal workflow list --query` (docs/workflows.md). Registered by the dev server
// (`--search-attribute`), by docker-compose (`temporal operator search-attribute create`),
// and by the service at start when the namespace lacks them (a cluster set up by hand).
import type { Client, Connection } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { ORG_SLUG, MEMBER, REQUEST_STATUS, ALERT_KIND } from '../../workflows/search-attributes.js';

export { ORG_SLUG, MEMBER, REQUEST_STATUS, ALERT_KIND };

/** Every custom attribute, all Keyword (exact match). */
export const SEARCH_ATTRIBUTES = [ORG_SLUG, MEMBER, REQUEST_STATUS, ALERT_KIND] as const;

/** `Name=Keyword` for `temporal server start-dev --search-attribute`. */
export const devServerSearchAttributeArgs = (): string[] => SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);

/** The attributes of a workflow of one org (and member, alert kind). */
export function orgAttributes(orgSlug: string, more: { member?: string; alertKind?: string; requestStatus?: string } = {}): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: ORG_SLUG, value: orgSlug }];
  if (more.member !== undefined) pairs.push({ key: MEMBER, value: more.member });
  if (more.alertKind !== undefined) pairs.push({ key: ALERT_KIND, value: more.alertKind });
  if (more.requestStatus !== undefined) pairs.push({ key: REQUEST_STATUS, value: more.requestStatus });
  return pairs;
}

/**
 * Registers whichever of our attributes the namespace lacks. A cluster that refuses
 * (no operator permission, e.g. a managed one) fails the start with the command to run.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: (msg: string) => void = () => {}): Promise<void> {
  const missingNow = async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return SEARCH_ATTRIBUTES.filter((k) => !customAttributes?.[k.name]);
  };
  let missing: (typeof SEARCH_ATTRIBUTES)[number][] = [...SEARCH_ATTRIBUTES];
  try {
    missing = await missingNow();
    if (!missing.length) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, encodeSearchAttributeIndexedValueType('KEYWORD')!])),
    });
    log(`temporal: registered search attributes ${missing.map((k) => k.name).join(', ')} in namespace ${namespace}`);
  } catch (err) {
    // Another process starting at the same moment may have added them first.
    if (!(await missingNow().catch(() => missing)).length) return;
    const cmd = missing.map((k) => `--name ${k.name} --type Keyword`).join(' ');
    throw new Error(`Temporal namespace ${namespace} lacks the search attributes ${missing.map((k) => k.name).join(', ')} and they could not be added here (${(err as Error).message}). Register them: temporal operator search-attribute create --namespace ${namespace} ${cmd}`);
  }
}

// Clients whose namespace has our attributes (registered or checked by enableSearchAttributes).
// Others (the time-skipping test server has no custom attributes) start workflows without them.
const enabled = new WeakSet<Client>();

/** Makes sure the namespace has our attributes, then sets them on what this client starts. */
export async function enableSearchAttributes(client: Client, connection: Connection, namespace: string, log?: (msg: string) => void): Promise<void> {
  await ensureSearchAttributes(connection, namespace, log);
  enabled.add(client);
}

export const hasSearchAttributes = (client: Client): boolean => enabled.has(client);

/** Start options naming who and what a workflow is about (search attributes and the UI's summary), where the client has them. */
export function visibility(client: Client, attributes: SearchAttributePair[], staticSummary?: string): { typedSearchAttributes?: SearchAttributePair[]; staticSummary?: string } {
  if (!enabled.has(client)) return {};
  return { typedSearchAttributes: attributes, ...(staticSummary ? { staticSummary } : {}) };
}
