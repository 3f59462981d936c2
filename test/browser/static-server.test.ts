/** The browser test's static server: read-only, confined to its root, right content types. */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from './static-server.js';

/** A raw request (fetch would normalise "/../" away before sending). */
function send(server: StaticServer, method: string, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((ok, fail) => {
    const { hostname, port } = new URL(server.origin);
    const req = request({ hostname, port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', fail).end();
  });
}

describe('static server', () => {
  let server: StaticServer;
  beforeAll(async () => { server = await startStaticServer(fileURLToPath(new URL('./', import.meta.url))); });
  afterAll(async () => { await server?.close(); });

  it('listens on 127.0.0.1 at a random port', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves files with their content type, and records requests', async () => {
    const js = await send(server, 'GET', '/digest.js?x=1');
    expect(js.status).toBe(200);
    expect(js.type).toBe('text/javascript');
    expect(js.body).toContain('export function digestEngine');
    expect((await send(server, 'HEAD', '/index.html')).type).toBe('text/html; charset=utf-8');
    expect((await send(server, 'GET', '/')).body).toContain('<!doctype html>');
    expect(server.requests).toContainEqual({ method: 'GET', path: '/digest.js', status: 200, contentType: 'text/javascript' });
  });

  it('is read-only and confined to its root', async () => {
    expect((await send(server, 'POST', '/digest.js')).status).toBe(405);
    expect((await send(server, 'PUT', '/new.txt')).status).toBe(405);
    expect((await send(server, 'DELETE', '/digest.js')).status).toBe(405);
    // test/support/digest.ts exists just outside the root: never served, however it is spelled
    // (the URL parser folds "/../" and "/%2e%2e/" into the root: 404; an encoded slash: 403).
    for (const path of ['/../support/digest.ts', '/%2e%2e/support/digest.ts', '/..%2fsupport/digest.ts', '/..%2F..%2Fsupport%2Fdigest.ts']) {
      const res = await send(server, 'GET', path);
      expect([403, 404], path).toContain(res.status);
      expect(res.body).not.toContain('digestEngine');
    }
    expect((await send(server, 'GET', '/..%2fsupport/digest.ts')).status).toBe(403);
    expect((await send(server, 'GET', '/.hidden')).status).toBe(403);
    expect((await send(server, 'GET', '/missing.js')).status).toBe(404);
    expect((await send(server, 'GET', '/%zz')).status).toBe(400);
  });
});
