/**
 * Security headers on every response (@fastify/helmet): a content security policy that lets the
 * bundled playground and GraphiQL run (every script, style, font and worker is served from this
 * origin) and nothing else, no framing by other sites, and `X-Content-Type-Options: nosniff`.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // GraphiQL's page has one inline <style>, and Monaco sets inline styles on its editor nodes.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  // Monaco's language services run as workers loaded from /assets.
  'worker-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    // useDefaults: false, so helmet adds no `upgrade-insecure-requests`: on a plain-HTTP
    // deployment (a LAN address) it would make the browser fetch every asset over HTTPS and fail.
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // TLS is the deployment's choice (a proxy in front); HSTS belongs there, not here.
    strictTransportSecurity: false,
  });
}
