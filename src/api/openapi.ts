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

const SECURITY: Record<string, { name: string; description: string }> = {
  operator: { name: 'operatorToken', description: 'Bearer token of the operator (OPERATOR_TOKEN)' },
  usage: { name: 'apiKey', description: 'Bearer API key of the org with the "usage" scope' },
  settings: { name: 'apiKey', description: 'Bearer API key with the "settings" scope, plus X-Actor naming the member acting' },
};

/** The refusals every route of its kind can answer, whatever its handler does. */
function sharedRefusals(r: AnyRoute): Record<number, string> {
  const out: Record<number, string> = {};
  if (r.params || r.query || r.body || r.auth === 'settings') {
    out[400] = 'The request does not match this document (or X-Actor is missing): `field` names the first field at fault, `issues` every one';
  }
  if (r.auth !== 'none') out[401] = 'Missing or invalid credentials';
  if (r.auth === 'usage') out[403] = 'The API key lacks the "usage" scope';
  if (r.auth === 'settings') {
    out[403] = 'The API key lacks the "settings" scope, or the acting member\'s stored role may not do this';
    out[404] = 'X-Actor names no active member of the organisation';
  }
  if (r.method !== 'GET') {
    out[413] = 'The body is larger than 4 MiB';
    out[415] = 'The body is not application/json';
  }
  if (r.params) out[414] = 'A path parameter is far longer than any valid value';
  return out;
}

function responsesOf(r: AnyRoute, errorRef: { $ref: string }) {
  const content = r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } } : {};
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
    if (r.auth === 'settings') {
      parameters.push({ name: 'X-Actor', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'Id or external id of the member acting' });
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.auth !== 'none' ? { security: [{ [SECURITY[r.auth]!.name]: [] }] } : {}),
      // A body whose fields are all optional may be left out.
      ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
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
        operatorToken: { type: 'http', scheme: 'bearer', description: SECURITY.operator!.description },
        apiKey: { type: 'http', scheme: 'bearer', description: SECURITY.usage!.description },
      },
    },
    paths,
  };
}
