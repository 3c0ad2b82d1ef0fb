// Builds the OpenAPI 3.1 document from the route declarations themselves: request
// schemas, every status a route can answer, and the one error shape.
import { z, type ZodType } from 'zod';
import type { AnyRoute } from './route.js';
import { errorResponse } from './schemas.js';

// OpenAPI 3.1 schemas are JSON Schema 2020-12 (nullable is `type: [..., "null"]`).
function jsonSchema(s: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...js } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return js;
}

const SECURITY = {
  operatorToken: 'Bearer token of the operator (OPERATOR_TOKEN)',
  apiKey: 'Bearer API key of the org with the "usage" scope (gateways)',
  personToken: 'A person signed in: a session from POST /v1/sign-in (a single-use sign-in link), or an ID token / JWT access token from the org\'s own OpenID Provider (docs/identity.md). The member\'s stored role decides what they may do.',
  actingKey: 'An org\'s trusted back end: an API key with the "act_for_members" scope, plus X-Actor naming the member it acts for (audited as "via api_key:<id>"). Keys with only the "settings" scope no longer act for anyone (403).',
} as const;

const securityOf = (auth: AnyRoute['auth']) =>
  auth === 'operator' ? [{ operatorToken: [] }] : auth === 'usage' ? [{ apiKey: [] }] : auth === 'person' ? [{ personToken: [] }, { actingKey: [] }] : undefined;

/** The refusals every route of its kind can answer, whatever its handler does. */
function sharedRefusals(r: AnyRoute): Record<number, string> {
  const out: Record<number, string> = {};
  if (r.params || r.query || r.body || r.auth === 'person') {
    out[400] = 'The request does not match this document (or X-Actor is missing with an acting key, or sent with a person\'s token): `field` names the first field at fault, `issues` every one';
  }
  if (r.auth !== 'none') out[401] = 'Missing or invalid credentials';
  if (r.auth === 'usage') out[403] = 'The API key lacks the "usage" scope';
  if (r.auth === 'person') {
    out[403] = 'The acting member\'s stored role may not do this, or the API key may not act for members';
    out[404] = 'X-Actor names no active member of the organisation';
  }
  if (r.method !== 'GET') {
    out[413] = 'The body is larger than 4 MiB';
    out[415] = `The body is not ${['application/json', ...Object.keys(r.bodyMediaTypes ?? {})].join(' or ')}`;
  }
  if (r.params) out[414] = 'A path parameter is far longer than any valid value';
  return out;
}

/** Media types carried as bytes (e.g. protobuf), described in words. */
const binaryMedia = (types: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(types ?? {}).map(([type, description]) => [type, { schema: { type: 'string', format: 'binary', description } }]));

function responsesOf(r: AnyRoute, errorRef: { $ref: string }) {
  const content = r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') }, ...binaryMedia(r.responseMediaTypes) } } : {};
  const responses: Record<string, unknown> = { [String(r.status ?? 200)]: { description: 'Success', ...content } };
  for (const [status, description] of Object.entries(r.otherSuccess ?? {})) responses[status] = { description, ...content };
  const refusals = { ...sharedRefusals(r) };
  for (const [status, description] of Object.entries(r.refusals ?? {})) {
    const s = Number(status);
    refusals[s] = refusals[s] ? `${refusals[s]}; or ${description}` : description;
  }
  for (const [status, description] of Object.entries(refusals).sort(([a], [b]) => Number(a) - Number(b))) {
    responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
  }
  return responses;
}

export function buildOpenApi(routes: AnyRoute[], version: string) {
  const errorRef = { $ref: '#/components/schemas/Error' };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
      }
    }
    if (r.auth === 'person') {
      parameters.push({ name: 'X-Actor', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'With an act_for_members key only: id or external id of the member the key acts for' });
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.auth !== 'none' ? { security: securityOf(r.auth) } : {}),
      // A body whose fields are all optional may be left out.
      ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { 'application/json': { schema: jsonSchema(r.body, 'input') }, ...binaryMedia(r.bodyMediaTypes) } } } : {}),
      responses: responsesOf(r, errorRef),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Extra usage control plane',
      version,
      description: 'Metering, caps and settings for extra usage on seat-based plans. Amounts are USD decimal strings. '
        + 'Every refusal is the Error shape: 400 when the request does not match this document, 422 when it does but a rule on stored state refuses it; a refusal changes nothing.',
    },
    components: {
      schemas: { Error: jsonSchema(errorResponse, 'output') },
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: SECURITY.operatorToken },
        apiKey: { type: 'http', scheme: 'bearer', description: SECURITY.apiKey },
        personToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: SECURITY.personToken },
        actingKey: { type: 'http', scheme: 'bearer', description: SECURITY.actingKey },
      },
    },
    paths,
  };
}
