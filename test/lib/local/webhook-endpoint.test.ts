import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { HTTP_API_MAX_BODY_BYTES, LAMBDA_MAX_EVENT_BYTES, refusalByAws } from '../../../lib/local/webhook-endpoint.ts';

/** An HTTP API event whose JSON is exactly `bytes` long, its body padding it out. */
function eventOf(bytes: number): APIGatewayProxyEventV2 {
  const bare = {
    version: '2.0',
    routeKey: 'POST /github',
    headers: { 'content-type': 'application/json' },
    body: '',
    isBase64Encoded: false,
  };
  const padding = bytes - Buffer.byteLength(JSON.stringify(bare));
  return { ...bare, body: 'a'.repeat(padding) } as unknown as APIGatewayProxyEventV2;
}
const sized = (event: APIGatewayProxyEventV2) => Buffer.byteLength(JSON.stringify(event));

describe('refusalByAws', () => {
  it('lets through an event of exactly Lambda’s 6 MB and answers 500 for one a byte longer, which Lambda would not invoke', () => {
    const atLimit = eventOf(LAMBDA_MAX_EVENT_BYTES);
    const overLimit = eventOf(LAMBDA_MAX_EVENT_BYTES + 1);
    expect([sized(atLimit), sized(overLimit)]).toEqual([LAMBDA_MAX_EVENT_BYTES, LAMBDA_MAX_EVENT_BYTES + 1]);

    expect(refusalByAws(1_000, atLimit)).toBeUndefined();
    expect(refusalByAws(1_000, overLimit)).toMatchObject({ statusCode: 500 });
  });

  it('answers 413 for a body over the HTTP API’s 10 MB, whatever the event, and not for one of exactly 10 MB', () => {
    const small = eventOf(1_000);

    expect(refusalByAws(HTTP_API_MAX_BODY_BYTES + 1, small)).toMatchObject({ statusCode: 413 });
    expect(refusalByAws(HTTP_API_MAX_BODY_BYTES, small)).toBeUndefined();
  });
});
