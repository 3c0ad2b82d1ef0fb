// OTLP/HTTP logs on the wire: the request as the OpenTelemetry exporters send it
// (ExportLogsServiceRequest, as JSON or protobuf) and the answer they expect
// (ExportLogsServiceResponse). Protobuf is decoded and encoded with the static
// protobufjs module @opentelemetry/otlp-transformer generates from the official
// opentelemetry-proto definitions, into the same shape the OTLP JSON encoding has, so
// one schema validates both. Nothing here knows about Claude Code.
import { createRequire } from 'node:module';
import { z } from 'zod';

// The last releases of @opentelemetry/otlp-transformer with the logs messages in their
// generated protobufjs root (later ones serialize by hand and ship no decoder). Pinned.
const require = createRequire(import.meta.url);
interface ProtoType {
  decode(reader: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
  fromObject(object: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}
const logsV1 = (require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType; ExportLogsServiceResponse: ProtoType } } } } };
}).opentelemetry.proto.collector.logs.v1;

export const OTLP_PROTOBUF = 'application/x-protobuf';

// int64 and fixed64 are decimal strings in the JSON encoding; numbers are accepted too,
// even past 2^53 (nanosecond times are), and their use decides what they must be.
const int64 = z.union([z.string().regex(/^-?\d{1,20}$/), z.number()]);
const uint64 = z.union([z.string().regex(/^\d{1,20}$/), z.number().nonnegative()]);

// Only the fields this service reads are checked; every other field (severity, scope,
// trace ids, bytes, arrays and maps of values) passes unread, as OTLP asks of a
// receiver, so a batch is never refused over a field nobody uses.
const anyValue = z.looseObject({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: int64.optional(),
  doubleValue: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).optional(),
}).describe('AnyValue: scalars are read; arrayValue, kvlistValue and bytesValue are accepted and not read');
const keyValue = z.looseObject({ key: z.string(), value: anyValue.optional() });
const attributes = z.array(keyValue).optional();

const logRecord = z.looseObject({
  timeUnixNano: uint64.optional(),
  observedTimeUnixNano: uint64.optional(),
  body: anyValue.optional(),
  attributes,
  eventName: z.string().optional(),
});

export const otlpLogsRequest = z.looseObject({
  resourceLogs: z.array(z.looseObject({
    resource: z.looseObject({ attributes }).optional(),
    scopeLogs: z.array(z.looseObject({ logRecords: z.array(logRecord).optional() })).optional(),
  })).optional(),
}).describe('OTLP ExportLogsServiceRequest in the OTLP/JSON encoding (fields this service does not read are ignored, as OTLP asks)');

export type OtlpLogsRequest = z.infer<typeof otlpLogsRequest>;
export type OtlpLogRecord = z.infer<typeof logRecord>;
export type OtlpKeyValue = z.infer<typeof keyValue>;
export type OtlpAnyValue = z.infer<typeof anyValue>;

export const otlpLogsResponse = z.object({
  partialSuccess: z.object({
    rejectedLogRecords: z.string().describe('How many log records were not accepted (int64, a decimal string as in the OTLP/JSON encoding)'),
    errorMessage: z.string().describe('Why, for a person'),
  }).optional().describe('Present only when some log records were not accepted'),
}).describe('OTLP ExportLogsServiceResponse');

export type OtlpLogsResponse = z.infer<typeof otlpLogsResponse>;

/** A protobuf ExportLogsServiceRequest in the shape of its JSON encoding; throws on bytes that are not one. */
export function decodeLogsRequest(bytes: Uint8Array): unknown {
  const { ExportLogsServiceRequest: T } = logsV1;
  return T.toObject(T.decode(bytes), { longs: String, enums: Number, bytes: String, defaults: false });
}

/** The answer as protobuf (empty when everything was accepted). */
export function encodeLogsResponse(response: OtlpLogsResponse): Uint8Array {
  const { ExportLogsServiceResponse: T } = logsV1;
  return T.encode(T.fromObject(response)).finish();
}

/** The value of an attribute as a scalar, or undefined (absent, or a list, a map, bytes). */
export function scalarOf(value: OtlpAnyValue | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return typeof value.intValue === 'number' ? value.intValue : Number(value.intValue);
  if (value.doubleValue !== undefined) return typeof value.doubleValue === 'number' ? value.doubleValue : Number(value.doubleValue);
  if (value.boolValue !== undefined) return value.boolValue;
  return undefined;
}

/** The first attribute with this key. */
export function attributeOf(list: OtlpKeyValue[] | undefined, key: string): OtlpAnyValue | undefined {
  return list?.find((kv) => kv.key === key)?.value;
}
