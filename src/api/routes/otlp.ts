// Claude Code telemetry for orgs without a gateway: an OTLP/HTTP logs receiver.
// OTEL_EXPORTER_OTLP_ENDPOINT=<base>/v1/otlp makes the exporter post to
// <base>/v1/otlp/v1/logs, as JSON (http/json) or protobuf (http/protobuf), optionally
// gzipped, with the org's API key (`usage` scope) as the bearer token. The
// claude_code.api_request events become usage records (src/ingest/); the answer is
// OTLP's, in the request's encoding.
//
// This path records only. Nothing asks it before a request, so it cannot refuse one:
// caps are enforced after the fact.
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { ingestClaudeCodeLogs, rejectionMessage } from '../../ingest/claude-code-ingest.js';
import { decodeLogsRequest, encodeLogsResponse, OTLP_PROTOBUF, otlpLogsRequest, otlpLogsResponse, type OtlpLogsResponse } from '../../ingest/otlp-logs.js';
import { HttpError } from '../errors.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

export const OTLP_LOGS_URL = '/v1/otlp/v1/logs';

const isProtobuf = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith(OTLP_PROTOBUF);
const onOtlpRoute = (request: FastifyRequest) => request.routeOptions.url === OTLP_LOGS_URL;

const withStatus = (err: Error, statusCode: number) => Object.assign(err, { statusCode });

/**
 * Protobuf bodies and gzip (inflateOtlpBody, below), for this route only: every other
 * route still answers a protobuf body with 415 and reads no Content-Encoding, as before. A protobuf body is
 * decoded into the OTLP/JSON shape, so the route's schema validates both encodings.
 */
function installOtlpBodies(app: FastifyInstance): void {
  app.addContentTypeParser(OTLP_PROTOBUF, { parseAs: 'buffer' }, (request, body, done) => {
    if (!onOtlpRoute(request)) return done(withStatus(new Error('Unsupported Media Type'), 415), undefined);
    try {
      done(null, decodeLogsRequest(body as Buffer));
    } catch (err) {
      done(new HttpError(400, 'invalid_request', `the body is not an OTLP ExportLogsServiceRequest in protobuf (${(err as Error).message})`, 'body'), undefined);
    }
  });
}

/** Gzip bodies (Content-Encoding: gzip): a hook on the OTLP route alone, so no other route reads Content-Encoding. */
const inflateOtlpBody: preParsingHookHandler = (request, _reply, payload, done) => {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity') return done(null, payload);
  if (encoding !== 'gzip') return done(new HttpError(415, 'unsupported_media_type', `Content-Encoding '${encoding}' is not supported: send gzip or none`, 'content-encoding'));
  const gunzip = createGunzip();
  // A body that is not gzip is the sender's fault (400), not ours.
  gunzip.on('error', (err) => {
    err.message = `the body is not gzip as Content-Encoding says (${err.message})`;
    withStatus(err, 400);
  });
  // Content-Length counts the compressed bytes; the body limit counts what is inflated.
  let received = 0;
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
    (gunzip as unknown as { receivedEncodedLength: number }).receivedEncodedLength = received;
  });
  done(null, payload.pipe(gunzip));
};

export function otlpRoutes(deps: ApiDeps, app: FastifyInstance) {
  installOtlpBodies(app);
  return [
    defineRoute({
      method: 'POST', url: OTLP_LOGS_URL, tag: 'metering', auth: 'usage',
      summary: 'Claude Code telemetry (OTLP/HTTP logs, JSON or protobuf): its claude_code.api_request events are recorded as usage, '
        + 'idempotent per event; other events are ignored. Records only: it cannot authorize, so caps are enforced after the fact.',
      body: otlpLogsRequest,
      preParsing: inflateOtlpBody,
      bodyMediaTypes: { [OTLP_PROTOBUF]: 'OTLP ExportLogsServiceRequest, protobuf-encoded (http/protobuf)' },
      response: otlpLogsResponse,
      responseMediaTypes: { [OTLP_PROTOBUF]: 'OTLP ExportLogsServiceResponse, protobuf-encoded: the answer to a protobuf request' },
      refusals: {
        400: 'A protobuf body is not an ExportLogsServiceRequest, or a body sent with Content-Encoding: gzip is not gzip',
        415: 'a Content-Encoding other than gzip',
        503: 'Some events could not be written now (the database): send the same batch again; events already recorded count once',
      },
      async handler({ body, auth, request, reply }) {
        const org = auth.org!;
        const again = () => {
          reply.header('retry-after', '5');
          return new HttpError(503, 'unavailable', 'the events could not all be recorded now; send the batch again (events already recorded count once)');
        };
        let outcome;
        try {
          outcome = await ingestClaudeCodeLogs(deps.db, { id: org.id, slug: org.slug }, body, deps.now(), request.log);
        } catch (err) {
          // The member look-up failed (the database): the exporter retries a 503.
          request.log.error({ err, org: org.slug }, 'claude code telemetry: export not recorded; the exporter should send it again');
          throw again();
        }
        if (outcome.failed) throw again();
        const answer: OtlpLogsResponse = outcome.rejected.length
          ? { partialSuccess: { rejectedLogRecords: String(outcome.rejected.length), errorMessage: rejectionMessage(outcome.rejected) } }
          : {};
        if (isProtobuf(request)) return reply.type(OTLP_PROTOBUF).send(Buffer.from(encodeLogsResponse(answer)));
        return answer;
      },
    }),
  ];
}
