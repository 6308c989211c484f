import {
  ArtifactError,
  CentralRejectedError,
  CentralUnavailableError,
  loadVerifiedArtifact,
  type CentralClient,
  type EdgeModel,
} from '@nomaly/edge-runtime';
import type { Logger } from '@nomaly/platform-core';
import type { EdgeMetrics } from '../metrics.js';
import type { ModelStore } from './model-store.js';

/** What one sync did, for logs and tests. */
export interface SyncOutcome {
  readonly reachedCentral: boolean;
  readonly updated: number;
  readonly failed: number;
}

/**
 * Pulls what the tenant's edge nodes should run (`GET /api/v1/models/edge`) every SYNC_INTERVAL
 * and fetches the versions that changed. An artifact is used only when its bytes hash to the
 * SHA-256 central listed; otherwise it is logged and the version already served keeps serving.
 * Central unreachable changes nothing: the cached models keep serving.
 */
export class ModelSync {
  /** Models without a detector, already reported (their results could not be uploaded). */
  private readonly skipped = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncOutcome> | undefined;
  private stopped = false;

  constructor(
    private readonly central: CentralClient,
    private readonly store: ModelStore,
    private readonly metrics: EdgeMetrics,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      void this.syncOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  /** One sync; concurrent calls share it. */
  syncOnce(): Promise<SyncOutcome> {
    this.running ??= this.sync().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sync(): Promise<SyncOutcome> {
    let listed: EdgeModel[];
    try {
      listed = await this.central.edgeModels();
    } catch (error) {
      this.failed(error, 'model sync: cannot list the models to run; serving the cached ones');
      return { reachedCentral: false, updated: 0, failed: 1 };
    }
    this.metrics.markSynced();
    let updated = 0;
    let failed = 0;
    for (const wanted of listed) {
      const current = this.store.get(wanted.modelId);
      if (current?.version === wanted.version && current.sha256 === wanted.sha256) continue;
      try {
        if (await this.fetch(wanted)) updated += 1;
      } catch (error) {
        failed += 1;
        this.failed(
          error,
          'model sync: a model version could not be fetched; the old one keeps serving',
          {
            modelId: wanted.modelId,
            version: wanted.version,
            serving: current?.version ?? null,
          },
        );
      }
    }
    const listedIds = new Set(listed.map((model) => model.modelId));
    for (const model of this.store.all()) {
      if (listedIds.has(model.modelId)) continue;
      await this.store.remove(model.modelId);
      this.logger.info(
        { modelId: model.modelId, version: model.version },
        'model sync: central no longer lists this model for edge nodes; stopped serving it',
      );
    }
    return { reachedCentral: true, updated, failed };
  }

  /** Fetches, verifies and stores one version; false when it cannot be served at the edge. */
  private async fetch(wanted: EdgeModel): Promise<boolean> {
    const known = this.store.get(wanted.modelId);
    const detectorId = known?.detectorId ?? (await this.central.model(wanted.modelId)).detectorId;
    if (detectorId === null) {
      if (!this.skipped.has(wanted.modelId)) {
        this.skipped.add(wanted.modelId);
        this.logger.warn(
          { modelId: wanted.modelId, name: wanted.name },
          'model sync: this model belongs to no detector, so its results could not be stored centrally; not serving it',
        );
      }
      return false;
    }
    const bytes = await this.central.artifact(wanted.modelId, wanted.version);
    const detector = loadVerifiedArtifact(bytes, wanted.sha256, wanted);
    await this.store.put(
      {
        modelId: wanted.modelId,
        name: wanted.name,
        version: wanted.version,
        sha256: wanted.sha256,
        detectorId: detectorId.toLowerCase(),
        detector,
      },
      bytes,
    );
    this.logger.info(
      { modelId: wanted.modelId, version: wanted.version, previous: known?.version ?? null },
      'model sync: now serving a new version',
    );
    return true;
  }

  private failed(error: unknown, message: string, context: Record<string, unknown> = {}): void {
    const reason =
      error instanceof ArtifactError
        ? error.reason
        : error instanceof CentralUnavailableError
          ? 'unreachable'
          : error instanceof CentralRejectedError
            ? 'rejected'
            : 'internal';
    this.metrics.syncFailures.inc({ reason });
    const entry = { ...context, reason, err: error };
    if (reason === 'unreachable') this.logger.warn(entry, message);
    else this.logger.error(entry, message);
  }
}
