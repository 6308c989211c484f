/**
 * The web server as a real process (the built dist/main.js, as production starts it): what it
 * serves under /ui, with which types, caching and security headers, and its probes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { appRoot, startService, type RunningService } from '@nomaly/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/server.js';

const ASSETS = join(appRoot('web'), 'dist', 'ui', 'assets');

let web: RunningService;
let script: string;
let stylesheet: string;

beforeAll(async () => {
  web = await startService('web', {}, { portVariables: ['PORT'] });
  const files = readdirSync(ASSETS);
  script = files.find((f) => /^main-[A-Z0-9]{8}\.js$/.test(f)) ?? '';
  stylesheet = files.find((f) => /^main-[A-Z0-9]{8}\.css$/.test(f)) ?? '';
  expect(script, `no hashed script in ${ASSETS}`).not.toBe('');
  expect(stylesheet, `no hashed style sheet in ${ASSETS}`).not.toBe('');
});

afterAll(async () => {
  await web?.stop();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${web.baseUrl}${path}`, { headers, redirect: 'manual' });

describe('the web server', () => {
  it('serves index.html at /ui/ with the strict CSP, revalidated on every load', async () => {
    const response = await get('/ui/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toContain(`<script type="module" src="/ui/assets/${script}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/ui/assets/${stylesheet}" />`);
    expect(html).not.toMatch(/<script>(?!<)|style=/);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get('/ui/');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const again = await get('/ui/', { 'If-None-Match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('redirects /ui to /ui/, keeping the query', async () => {
    const response = await get('/ui?x=1');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/ui/?x=1');
  });

  it('answers the app’s own pages (client routes) with index.html', async () => {
    for (const path of [
      '/ui/datasets',
      '/ui/detectors/0b9e0c6e-3c53-4a4e-9d1f-0b4a4c2f6d1e/detection',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toContain('<div id="app">');
    }
  });

  it('serves hashed assets with their type, cached for a year, compressed when accepted', async () => {
    const plain = await get(`/ui/assets/${script}`, { 'Accept-Encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const bytes = Buffer.from(await plain.arrayBuffer());

    // fetch() would decode for us and hide the encoding: read the raw bytes with node:http.
    const raw = async (
      encoding: string,
    ): Promise<{ encoding: string | undefined; body: Buffer }> => {
      const { request } = await import('node:http');
      return new Promise((resolve, reject) => {
        request(
          `${web.baseUrl}/ui/assets/${script}`,
          { headers: { 'Accept-Encoding': encoding } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
            );
          },
        )
          .on('error', reject)
          .end();
      });
    };
    const gzip = await raw('gzip');
    expect(gzip.encoding).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(bytes)).toBe(true);
    expect(gzip.body.length).toBeLessThan(bytes.length / 2);
    const brotli = await raw('gzip, deflate, br');
    expect(brotli.encoding).toBe('br');
    expect(brotliDecompressSync(brotli.body).equals(bytes)).toBe(true);
    expect((await raw('br;q=0, gzip')).encoding).toBe('gzip');

    const css = await get(`/ui/assets/${stylesheet}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('vary')).toBe('Accept-Encoding');
  });

  it('answers 404 problem+json for files it does not have, and never reads outside its build', async () => {
    for (const path of [
      '/ui/assets/main-AAAAAAAA.js',
      '/ui/..%2f..%2fpackage.json',
      '/ui/%2e%2e/%2e%2e/src/server.ts',
      '/favicon.ico',
      '/',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toBe('application/problem+json');
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code, path).toBe('NOT_FOUND');
    }
  });

  it('refuses other methods with 405 and Allow', async () => {
    const response = await fetch(`${web.baseUrl}/ui/`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(((await response.json()) as { detail: string }).detail).toMatch(
      /POST is not allowed here/,
    );
  });

  it('answers HEAD without a body', async () => {
    const response = await fetch(`${web.baseUrl}/ui/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('');
  });

  it('answers the probes, and counts requests by route in /metrics', async () => {
    expect((await get('/health')).status).toBe(200);
    const ready = await get('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*route="\/ui\/\*"[^}]*status="200"[^}]*\} \d+/,
    );
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/ui\/assets\/\*"/);
    expect(metrics).toContain('service="web"');
  });
});

describe('the web server at boot and shutdown', () => {
  const run = async (
    env: Record<string, string>,
  ): Promise<{ code: number | null; stderr: string }> => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: appRoot('web'),
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stderr };
  };

  it('stops with 78 naming a bad variable', async () => {
    const { code, stderr } = await run({ PORT: 'eighty', SHUTDOWN_TIMEOUT_MS: '-1' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/SHUTDOWN_TIMEOUT_MS/);
  });

  it('stops with 78 when the UI was not built', async () => {
    const { code, stderr } = await run({ PORT: '0', WEB_ASSETS_DIR: '/nonexistent/ui' });
    expect(code).toBe(78);
    expect(stderr).toContain('WEB_ASSETS_DIR /nonexistent/ui has no index.html');
  });

  it('exits 0 on SIGTERM', async () => {
    const own = await startService('web', {}, { portVariables: ['PORT'] });
    expect(await own.stop()).toBe(0);
  });
});
