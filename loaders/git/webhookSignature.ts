import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw request body under the team's
 * secret, as GitHub, Gitea and Forgejo send it.
 */

export const SIGNATURE_HEADER = 'x-hub-signature-256';

export function signWebhookBody(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time with respect to the secret and the signature; false for a missing or malformed header. */
export function verifyWebhookSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(typeof header === 'string' ? header.trim().toLowerCase() : '');
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}
