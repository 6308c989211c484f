import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** One file of the built UI, read and compressed once at start. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly brotli: Buffer | undefined;
  readonly contentType: string;
  /** A strong validator: the SHA-256 of the bytes. */
  readonly etag: string;
  /** Hashed names never change content: cached for a year. index.html is revalidated. */
  readonly immutable: boolean;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.map', '.json', '.svg', '.txt']);
/** esbuild's `[name]-[hash]`: an 8-character base-32 hash before the extension(s). */
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z0-9.]+$/;

export class StaticAssetsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaticAssetsError';
  }
}

/**
 * Every file under `dir`, keyed by its URL path below the mount point (`/index.html`,
 * `/assets/main-AB12CD34.js`). The UI is a few hundred kilobytes, so it is held in memory with
 * its gzip and brotli forms: no file system access, and so no path traversal, per request.
 *
 * @throws {StaticAssetsError} when `dir` or its index.html is missing (the UI was not built), or
 *   a file has a type this server does not serve.
 */
export function loadStaticAssets(dir: string): ReadonlyMap<string, StaticAsset> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new StaticAssetsError(
      `WEB_ASSETS_DIR ${dir} has no index.html: build the UI first (npx nx run web:build)`,
    );
  }
  const assets = new Map<string, StaticAsset>();
  for (const file of walk(dir)) {
    const extension = extname(file).toLowerCase();
    const contentType = CONTENT_TYPES[extension];
    if (contentType === undefined) {
      throw new StaticAssetsError(
        `${file}: the web server has no content type for "${extension}" files`,
      );
    }
    const body = readFileSync(file);
    const key = `/${relative(dir, file).split(sep).join('/')}`;
    const compressible = COMPRESSIBLE.has(extension) && body.length > 512;
    const gzip = compressible ? gzipSync(body, { level: 9 }) : undefined;
    const brotli = compressible
      ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } })
      : undefined;
    assets.set(key, {
      body,
      gzip: gzip !== undefined && gzip.length < body.length ? gzip : undefined,
      brotli: brotli !== undefined && brotli.length < body.length ? brotli : undefined,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
      immutable: key.startsWith('/assets/') && HASHED_NAME.test(key),
    });
  }
  return assets;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
