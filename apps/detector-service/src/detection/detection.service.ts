import { Inject, Injectable } from '@nestjs/common';
import { loadDetector, type Detector } from '@nomaly/detection-core';
import { toFeatureMatrix } from '@nomaly/edge-runtime';
import {
  cacheKey,
  PlatformMetrics,
  ServiceError,
  type Cache,
  type Logger,
} from '@nomaly/platform-core';
import { PLATFORM_CACHE, PLATFORM_CONFIG, PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import { ModelClient } from '@nomaly/detector-runtime';
import type { DetectorConfig } from '../config.js';
import { DetectorService } from '../detectors/detector.service.js';
import type { DetectorEntity } from '../persistence/index.js';
import { DetectionMetrics } from './detection-metrics.js';
import type { DetectRequestDto, DetectResponse } from './detection.dto.js';
import { ModelCache } from './model-cache.js';

/**
 * Scores rows with a detector's current model: its champion version when one is promoted, else
 * the version its last training produced. Models are loaded once per version and kept in a
 * bounded cache, and the champion is re-resolved every MODEL_ALIAS_TTL_SECONDS (shared through
 * Redis) — so a detect call does not go to the model-service, and when the model-service is
 * down cached models keep serving while uncached ones fail fast (503) through the breaker.
 */
@Injectable()
export class DetectionService {
  private readonly cache: ModelCache;
  private readonly champions = new Map<string, { version: number | undefined; at: number }>();
  private readonly metrics: DetectionMetrics;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: DetectorConfig,
    @Inject(PLATFORM_LOGGER) private readonly logger: Logger,
    @Inject(PLATFORM_CACHE) private readonly sharedCache: Cache,
    private readonly database: Database,
    private readonly detectors: DetectorService,
    private readonly models: ModelClient,
    metrics: PlatformMetrics,
  ) {
    this.cache = new ModelCache(config.MODEL_CACHE_MAX_MB * 1024 * 1024);
    this.metrics = new DetectionMetrics(metrics.registry, config.REGION);
  }

  async detect(
    tenantId: string,
    detectorId: string,
    request: DetectRequestDto,
    save: boolean,
  ): Promise<DetectResponse> {
    const started = process.hrtime.bigint();
    const detector = await this.detectors.get(tenantId, detectorId);
    const { model, modelId, version } = await this.currentModel(tenantId, detector);
    const X = toFeatureMatrix(request, model.featureNames, this.config.MAX_DETECTION_BATCH_SIZE);

    const scores = model.score(X);
    const threshold = model.threshold;
    const labels: number[] = Array.from(scores, (s) => (s > threshold ? 1 : 0));
    let explanations: number[][] | undefined;
    if (request.explain === true) {
      if (!model.explainable) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `${detector.algorithm} does not explain its scores per feature; explainable: iforest, hbos, ecod, copod, pca, mcd.`,
        );
      }
      const { contributions } = model.explain(X);
      explanations = Array.from({ length: X.rows }, (_, i) =>
        Array.from(contributions.subarray(i * X.cols, (i + 1) * X.cols)),
      );
    }
    const anomalies = labels.reduce((sum, label) => sum + label, 0);
    this.metrics.record({
      algorithm: detector.algorithm,
      scores,
      threshold,
      anomalies,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    const saved = save
      ? await this.save(tenantId, detectorId, modelId, version, scores, labels)
      : undefined;
    return {
      scores: Array.from(scores),
      labels,
      threshold,
      modelVersion: { id: `${modelId}:${version}`, modelId, version },
      features: model.featureNames,
      ...(explanations === undefined ? {} : { explanations }),
      ...(saved === undefined ? {} : { saved }),
    };
  }

  /**
   * The detector's current model — its champion, else the version its last training produced —
   * loaded, from the cache when possible. Batch detect jobs pin the version this names.
   *
   * @throws ServiceError `CONFLICT` when the detector has not been trained yet.
   */
  async currentModel(
    tenantId: string,
    detector: DetectorEntity,
  ): Promise<{ model: Detector; modelId: string; version: number }> {
    const modelId = detector.modelId;
    if (modelId === null || detector.latestVersion === null) {
      throw new ServiceError(
        'CONFLICT',
        `Detector ${detector.id} has no trained model yet; train it first (POST /api/v1/detectors/${detector.id}/train).`,
      );
    }
    const version = (await this.champion(tenantId, modelId)) ?? detector.latestVersion;
    const key = `${modelId}:${version}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return { model: cached, modelId, version };
    const { artifact } = await this.models.fetch(tenantId, modelId, version);
    let model: Detector;
    try {
      model = loadDetector(JSON.parse(artifact.toString('utf8')));
    } catch (error) {
      this.logger.error({ err: error, modelId, version }, 'model artifact does not load');
      throw new ServiceError(
        'INTERNAL',
        `Model ${modelId} version ${version} could not be loaded.`,
        {
          cause: error,
        },
      );
    }
    this.cache.set(key, model, artifact.length);
    return { model, modelId, version };
  }

  /**
   * The champion version: from this process for MODEL_ALIAS_TTL_SECONDS, else from Redis (shared
   * by the replicas, same TTL), else from the model-service; the last answer while the
   * model-service is down.
   */
  private async champion(tenantId: string, modelId: string): Promise<number | undefined> {
    const key = `${tenantId}:${modelId}`;
    const ttlSeconds = this.config.MODEL_ALIAS_TTL_SECONDS;
    const known = this.champions.get(key);
    if (known !== undefined && Date.now() - known.at < ttlSeconds * 1000) return known.version;
    const shared = cacheKey(this.config.SERVICE_NAME, 'champion', key);
    const cached = await this.sharedCache.get(shared);
    if (cached !== undefined) {
      const version = (JSON.parse(cached) as { version: number | null }).version ?? undefined;
      this.champions.set(key, { version, at: Date.now() });
      return version;
    }
    try {
      const info = await this.models.champion(tenantId, modelId);
      this.champions.set(key, { version: info?.version, at: Date.now() });
      await this.sharedCache.set(
        shared,
        JSON.stringify({ version: info?.version ?? null }),
        ttlSeconds,
      );
      return info?.version;
    } catch (error) {
      if (known !== undefined) {
        this.logger.warn(
          { err: error, modelId },
          'model-service unreachable; using the last champion',
        );
        return known.version;
      }
      // Never resolved: the version our own training recorded is the best answer we have.
      this.logger.warn(
        { err: error, modelId },
        'model-service unreachable; using the latest trained version',
      );
      return undefined;
    }
  }

  private async save(
    tenantId: string,
    detectorId: string,
    modelId: string,
    version: number,
    scores: Float64Array,
    labels: number[],
  ): Promise<number> {
    await this.database.dataSource.query(
      `INSERT INTO detection_results (tenant_id, detector_id, model_id, model_version, row_index, score, is_anomaly)
       SELECT $1, $2, $3, $4, t.i - 1, t.score, t.label = 1
         FROM unnest($5::double precision[], $6::int[]) WITH ORDINALITY AS t(score, label, i)`,
      [tenantId, detectorId, modelId, version, Array.from(scores), labels],
    );
    return scores.length;
  }
}
