/**
 * A tiny read-only static file server for the browser test (node:http, no packages): serves a
 * directory on 127.0.0.1 at a random port, GET and HEAD only, and records every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface RequestRecord {
  method: string;
  /** Path without the query string, e.g. "/dist/riskcore.wasm". */
  path: string;
  status: number;
  contentType: string | null;
}

export interface StaticServer {
  /** Base URL, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  origin: string;
  /** Every request served so far, in order. */
  requests: RequestRecord[];
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** Content types by extension ('.wasm') that replace the defaults, e.g. to serve a misconfigured host. */
  contentTypes?: Record<string, string>;
}

export async function startStaticServer(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const types = { ...CONTENT_TYPES, ...options.contentTypes };
  const rootReal = await realpath(root);
  const requests: RequestRecord[] = [];

  const finish = (req: IncomingMessage, res: ServerResponse, path: string, status: number, body?: string): void => {
    requests.push({ method: req.method ?? '', path, status, contentType: null });
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : (body ?? `${status}\n`));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let path = '/';
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return finish(req, res, req.url ?? '', 400);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return finish(req, res, path, 405);
    }
    // No dot segments or dotfiles (.git, ..), no NULs, nothing outside the root (symlinks included).
    if (path.includes('\0') || path.split('/').some((segment) => segment.startsWith('.'))) return finish(req, res, path, 403);
    let file = resolve(rootReal, `.${path}`);
    try {
      file = await realpath(file);
      if (file !== rootReal && !file.startsWith(rootReal + sep)) return finish(req, res, path, 403);
      let info = await stat(file);
      if (info.isDirectory()) {
        file = resolve(file, 'index.html');
        info = await stat(file);
      }
      if (!info.isFile()) return finish(req, res, path, 404);
      const contentType = types[extname(file).toLowerCase()] ?? 'application/octet-stream';
      requests.push({ method: req.method, path, status: 200, contentType });
      res.writeHead(200, { 'content-type': contentType, 'content-length': info.size, 'cache-control': 'no-store' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).on('error', (e) => res.destroy(e)).pipe(res);
    } catch {
      finish(req, res, path, 404);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) finish(req, res, req.url ?? '', 500, String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
