import { Inject, Injectable } from '@nestjs/common';
import { PlatformMetrics, type Logger } from '@nomaly/platform-core';
import { PLATFORM_LOGGER } from '@nomaly/platform-nest';
import { Database } from '@nomaly/platform-persistence';
import { Gauge } from 'prom-client';

/**
 * At most this many models appear in the gauge, the most recently promoted first: the
 * `model_id` label grows with the registry, and a scrape must stay small.
 */
export const ACCURACY_SERIES_LIMIT = 500;

interface ChampionAccuracy {
  model_id: string;
  algorithm: string;
  roc_auc: number;
}

/**
 * `nomaly_model_accuracy{model_id,model_type}`: the ROC-AUC of each model's champion, as its
 * publisher measured it against a label column. Read from the registry at scrape time, so every
 * replica reports the same values and a restart loses nothing; models without a champion or
 * without labelled metrics are absent. The ModelAccuracyDegraded alert watches it: a champion
 * promoted with a worse ROC-AUC than the alert's floor fires it.
 */
@Injectable()
export class ModelAccuracyMetrics {
  constructor(
    database: Database,
    metrics: PlatformMetrics,
    @Inject(PLATFORM_LOGGER) logger: Logger,
  ) {
    new Gauge({
      name: 'nomaly_model_accuracy',
      help:
        "ROC-AUC of each model's champion version on labelled data (the " +
        `${ACCURACY_SERIES_LIMIT} most recently promoted).`,
      labelNames: ['model_id', 'model_type'],
      registers: [metrics.registry],
      async collect() {
        let champions: ChampionAccuracy[];
        try {
          champions = await database.dataSource.query<ChampionAccuracy[]>(
            `SELECT a.model_id, v.algorithm, (v.metrics->>'rocAuc')::float8 AS roc_auc
               FROM model_aliases a
               JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
              WHERE a.alias = 'champion' AND jsonb_typeof(v.metrics->'rocAuc') = 'number'
              ORDER BY a.updated_at DESC
              LIMIT $1`,
            [ACCURACY_SERIES_LIMIT],
          );
        } catch (error) {
          // The last values stay: a scrape during a database outage must not report every
          // model's accuracy as gone.
          logger.warn({ err: error }, 'model accuracy not refreshed: the database did not answer');
          return;
        }
        this.reset();
        for (const champion of champions) {
          this.set(
            { model_id: champion.model_id, model_type: champion.algorithm },
            champion.roc_auc,
          );
        }
      },
    });
  }
}
