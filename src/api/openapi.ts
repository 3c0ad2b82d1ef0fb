// Builds the OpenAPI 3.1 document from the route declarations themselves.
import { z, type ZodType } from 'zod';
import type { AnyRoute } from './route.js';
import { errorResponse } from './schemas.js';

const jsonSchema = (s: ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;

const SECURITY: Record<string, { name: string; description: string }> = {
  operator: { name: 'operatorToken', description: 'Bearer token of the operator (OPERATOR_TOKEN)' },
  usage: { name: 'apiKey', description: 'Bearer API key of the org with the "usage" scope' },
  settings: { name: 'apiKey', description: 'Bearer API key with the "settings" scope, plus X-Actor naming the member acting' },
};

export function buildOpenApi(routes: AnyRoute[], version: string) {
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
    if (r.auth === 'settings') parameters.push({ name: 'X-Actor', in: 'header', required: true, schema: { type: 'string' }, description: 'Id or external id of the member acting' });
    const errors = { description: 'Error', content: { 'application/json': { schema: jsonSchema(errorResponse, 'output') } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.auth !== 'none' ? { security: [{ [SECURITY[r.auth]!.name]: [] }] } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: { description: 'Success', ...(r.response ? { content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } } : {}) },
        '4XX': errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Extra usage control plane', version, description: 'Metering, caps and settings for extra usage on seat-based plans. Amounts are USD decimal strings.' },
    components: {
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: SECURITY.operator!.description },
        apiKey: { type: 'http', scheme: 'bearer', description: SECURITY.usage!.description },
      },
    },
    paths,
  };
}
