import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Logger } from '@nomaly/platform-core';
import type { UpstreamMap } from '../config/upstreams.js';
import { IstioConfigError, loadIstioResources } from '../istio/load.js';
import type { UpstreamPools } from '../proxy/pools.js';
import { buildRoutingTable, type RoutingTable } from './table.js';

/** Edits arrive as bursts of events (write, rename, chmod): reload once they settle. */
const DEBOUNCE_MS = 150;

export interface RoutingSourceOptions {
  readonly sources: readonly string[];
  readonly gatewayName: string | undefined;
  readonly upstreams: UpstreamMap;
  readonly pools: UpstreamPools;
  readonly logger: Logger;
}

/**
 * The routing table and where it comes from: loads the Istio files, and reloads them when they
 * change (fs.watch) or on SIGHUP. A config that does not load keeps the table in service and
 * logs why; only at boot is it fatal.
 */
export class RoutingSource {
  private table: RoutingTable | undefined;
  private fingerprint = '';
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: RoutingSourceOptions) {}

  /** The table in service; only after `load()` succeeded. */
  get current(): RoutingTable {
    if (this.table === undefined) throw new Error('the routing table is not loaded yet');
    return this.table;
  }

  get loaded(): boolean {
    return this.table !== undefined;
  }

  /** Loads the table; throws IstioConfigError (or a file error) when it cannot. */
  async load(): Promise<RoutingTable> {
    const resources = await loadIstioResources(this.o.sources);
    if (resources.fingerprint === this.fingerprint && this.table !== undefined) return this.table;
    const table = buildRoutingTable(resources, {
      gatewayName: this.o.gatewayName,
      upstreams: this.o.upstreams,
      acquire: (origin, policy) => this.o.pools.acquire(origin, policy),
    });
    const first = this.table === undefined;
    this.table = table;
    this.fingerprint = resources.fingerprint;
    await this.o.pools.retain(table.upstreams);
    const { logger } = this.o;
    for (const note of resources.notes) logger.info(note);
    if (resources.ignored.length > 0) {
      logger.warn({ ignored: resources.ignored }, 'ignored by the local gateway');
    }
    for (const warning of table.warnings) logger.warn(warning);
    logger.info(
      { gateway: table.gateway, routes: table.routeCount, files: resources.files.length },
      first ? 'routing table loaded' : 'routing table reloaded',
    );
    return table;
  }

  /** Reloads, keeping the current table when the new config is invalid. Never throws. */
  reload(reason: string): Promise<void> {
    if (this.reloading !== undefined) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.load()
      .then(
        () => undefined,
        (error: unknown) => {
          const problems =
            error instanceof IstioConfigError ? error.problems : [(error as Error).message];
          this.o.logger.error(
            { reason, problems },
            'routing config not reloaded: keeping the previous table',
          );
        },
      )
      .finally(() => {
        this.reloading = undefined;
        if (this.again) {
          this.again = false;
          void this.reload(reason);
        }
      });
    return this.reloading;
  }

  /** Watches the config's files and directories; changes reload after a short quiet time. */
  async watch(): Promise<void> {
    const targets = new Map<string, (name: string) => boolean>();
    for (const source of this.o.sources) {
      const path = resolve(source);
      const isDirectory = (await stat(path).catch(() => undefined))?.isDirectory() === true;
      if (isDirectory) {
        targets.set(path, (name) => extname(name) === '.yaml' || extname(name) === '.yml');
      } else {
        // The parent, not the file: editors save by replacing the file, which ends a file watch.
        const file = basename(path);
        const previous = targets.get(dirname(path));
        targets.set(dirname(path), (name) => name === file || previous?.(name) === true);
      }
    }
    for (const [directory, relevant] of targets) {
      const watcher = watch(directory, (_event, name) => {
        if (name === null || relevant(name.toString()))
          this.schedule(`changed: ${name ?? directory}`);
      });
      watcher.on('error', (error) =>
        this.o.logger.warn({ err: error, directory }, 'cannot watch the routing config'),
      );
      this.watchers.push(watcher);
    }
  }

  private schedule(reason: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(reason), DEBOUNCE_MS);
  }

  close(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }
}
