// A chat notifier that failed to reach several people at once raises an AggregateError:
// it is the network when every send failed for the network (the part goes on /health),
// and a refusal as soon as one of them was refused.
import { describe, expect, it } from 'vitest';
import { isNetworkFailure } from '../../src/observability/network-failure.js';

const refusedConnection = Object.assign(new Error('A request error occurred: connect ECONNREFUSED 127.0.0.1:9'), { code: 'slack_webapi_request_error' });
const refusedByPlatform = Object.assign(new Error('An API error occurred: channel_not_found'), { code: 'slack_webapi_platform_error' });

describe('isNetworkFailure', () => {
  it('sees a network failure in an AggregateError whose every error is one', () => {
    expect(isNetworkFailure(new AggregateError([refusedConnection, refusedConnection], 'slack: 2 of 2 message(s) failed'))).toBe(true);
  });
  it('does not when one of them is a refusal, or none is given', () => {
    expect(isNetworkFailure(new AggregateError([refusedConnection, refusedByPlatform], 'slack: 2 of 2 message(s) failed'))).toBe(false);
    expect(isNetworkFailure(new AggregateError([], 'nothing'))).toBe(false);
  });
});
