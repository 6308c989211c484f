import { publishModel, readTrainingData, type FittedModel } from '@nomaly/detector-runtime';
import type { JobRecord, TrainSpec } from '@nomaly/jobs';
import { PoolStoppedError } from '../scoring/thread-pool.js';
import type { JobContext, RunOutcome } from './job-context.js';

/** How often a fit in progress looks for a cancel. */
const CANCEL_POLL_MS = 1_000;

/** Ends the row stream early: the job was cancelled or told to stop. */
class StreamHalted extends Error {}

/**
 * A training: the dataset streams in (progress written after each message, which is also where
 * a cancel is seen), the model is fitted on a thread — terminated at once on a cancel or a stop
 * — and published as the detector's next version; the job's success and the detector's new
 * version are recorded in one transaction.
 *
 * A worker stopped during the fit gives the whole training back (it has no partial result to
 * keep); one stopped after the fit finishes publishing: that is the work in hand. The version is
 * published under the job's id, so a run of the job after a crash between publishing and
 * recording publishes nothing new.
 */
export async function runTrainJob(
  context: JobContext,
  job: JobRecord,
  spec: TrainSpec,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const { store, datasets, models, pool, metrics } = context;
  const started = Date.now();
  const dataset = await datasets.describe(job.tenantId, job.datasetId);
  let cancelled = false;
  let training;
  try {
    training = await readTrainingData(
      datasets,
      job.tenantId,
      dataset,
      spec.features,
      async (rows) => {
        if (signal.aborted) throw new StreamHalted();
        if (!(await store.setProgress(job.id, rows))) {
          cancelled = true;
          throw new StreamHalted();
        }
      },
    );
  } catch (error) {
    if (!(error instanceof StreamHalted)) throw error;
    return cancelled ? { kind: 'cancelled' } : { kind: 'stopped' };
  }
  const { labels, rows } = training;

  const fitting = new AbortController();
  const stop = (): void => fitting.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const poll = setInterval(() => {
    void store.stateOf(job.id).then(
      (state) => {
        if (state === 'running') return;
        cancelled = true;
        fitting.abort('cancelled');
      },
      () => undefined, // the database is briefly away: the next poll (or the write) will tell
    );
  }, CANCEL_POLL_MS);
  let fitted: FittedModel;
  try {
    fitted = await pool.fit(
      {
        algorithm: spec.algorithm,
        parameters: spec.parameters,
        ...(job.seed === null ? {} : { seed: job.seed }),
      },
      training.data,
      rows,
      training.features,
      fitting.signal,
    );
  } catch (error) {
    if (!(error instanceof PoolStoppedError) || !fitting.signal.aborted) throw error;
    return cancelled ? { kind: 'cancelled' } : { kind: 'stopped' };
  } finally {
    clearInterval(poll);
    signal.removeEventListener('abort', stop);
  }
  if ((await store.stateOf(job.id)) !== 'running') return { kind: 'cancelled' };

  const result = await publishModel(models, job.tenantId, {
    detector: {
      id: job.detectorId,
      algorithm: spec.algorithm,
      parameters: spec.parameters,
      features: spec.features,
      modelId: spec.modelId,
    },
    dataset: { datasetId: job.datasetId, checksum: spec.datasetChecksum },
    features: spec.features,
    fitted,
    ...(labels === undefined ? {} : { labels }),
    durationMs: Date.now() - started,
    // A worker that dies between publishing and recording success leaves the job to run again:
    // the retry gets the version already published, not a second one.
    publishKey: `train-job:${job.id}`,
  });
  const recorded = await store.succeed(job.id, result, async (manager) => {
    // The detector may have been deleted meanwhile: then there is nothing to record on.
    await manager.query(
      `UPDATE detectors SET model_id = $1, latest_version = $2, updated_at = now()
        WHERE id = $3 AND tenant_id = $4`,
      [result.modelVersion.modelId, result.modelVersion.version, job.detectorId, job.tenantId],
    );
  });
  if (!recorded) return { kind: 'cancelled' };
  metrics.chunkWritten('train', rows, (Date.now() - started) / 1000);
  context.logger.info(
    { jobId: job.id, detectorId: job.detectorId, ...result.modelVersion, rows },
    'detector trained',
  );
  return { kind: 'succeeded', rows };
}
