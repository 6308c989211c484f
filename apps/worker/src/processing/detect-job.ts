import {
  ChunkPlan,
  modelVersionRef,
  resultsLocation,
  type DetectJobResult,
  type DetectSpec,
  type JobRecord,
} from '@nomaly/jobs';
import { ServiceError } from '@nomaly/platform-core';
import type { PoolModel } from '../scoring/thread-pool.js';
import { ChunkAssembler, type AssembledChunk } from './chunk-assembler.js';
import type { JobContext, RunOutcome } from './job-context.js';

/**
 * A batch detection: the dataset's rows stream in from the first chunk not yet stored, are cut
 * into the job's chunks and scored on the thread pool (as many chunks in flight as threads),
 * and each chunk's scores are written with its progress in one transaction. Chunks already
 * stored — by an earlier attempt that was killed — are skipped, so a resumed job does only
 * what is left and never writes a chunk twice.
 *
 * A cancel is seen at the next chunk write (refused: the job is no longer running); a stop
 * signal ends the dispatching, and the chunks in flight are still scored and written.
 */
export async function runDetectJob(
  context: JobContext,
  job: JobRecord,
  spec: DetectSpec,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const { store, datasets, models, pool, metrics } = context;
  const plan = new ChunkPlan(job.totalRows, job.chunkRows);
  const stored = await store.storedChunks(job.id);
  const first = plan.firstMissing(stored);
  if (first !== undefined) {
    const { artifact } = await models.fetch(job.tenantId, spec.modelId, spec.version);
    const model: PoolModel = {
      key: `${spec.modelId}:${spec.version}`,
      document: artifact.toString('utf8'),
    };
    const cols = spec.features.length;
    const assembler = new ChunkAssembler(plan, cols, first);
    const inflight = new Set<Promise<void>>();
    let failure: Error | undefined;
    let cancelled = false;
    const halted = (): boolean => failure !== undefined || cancelled || signal.aborted;

    const scoreAndWrite = async (chunk: AssembledChunk): Promise<void> => {
      const started = process.hrtime.bigint();
      const scores = await pool.score(model, chunk.values, chunk.rows, cols);
      let anomalies = 0;
      for (const score of scores) if (score > spec.threshold) anomalies += 1;
      const written = await store.writeChunk(job.id, {
        index: chunk.index,
        offset: chunk.offset,
        scores,
        anomalies,
      });
      if (!written) {
        cancelled = true;
        return;
      }
      metrics.chunkWritten('detect', chunk.rows, Number(process.hrtime.bigint() - started) / 1e9);
    };

    let complete = true;
    const stream = datasets.rows(job.tenantId, {
      datasetId: job.datasetId,
      columns: spec.features,
      includeLabel: false,
      maxRowsPerChunk: 0,
      startRow: assembler.nextRow,
    });
    try {
      dispatch: for await (const message of stream) {
        const chunks = assembler.push({
          rowOffset: Number(message.rowOffset),
          rowCount: message.rowCount,
          columns: message.columns,
        });
        for (const chunk of chunks) {
          if (stored.has(chunk.index)) continue;
          while (inflight.size >= pool.size && !halted()) await Promise.race(inflight);
          if (halted()) {
            complete = false;
            break dispatch;
          }
          const task: Promise<void> = scoreAndWrite(chunk)
            .catch((error: unknown) => {
              failure ??= error instanceof Error ? error : new Error(String(error));
            })
            .finally(() => inflight.delete(task));
          inflight.add(task);
        }
      }
    } finally {
      // Whatever ended the stream, the chunks in flight are finished (or fail) before we go on.
      await Promise.all(inflight);
    }
    if (failure !== undefined) throw failure;
    if (cancelled) return { kind: 'cancelled' };
    if (signal.aborted) return { kind: 'stopped' };
    if (complete) assembler.finish();
  }

  const summary = await store.chunkSummary(job.id);
  if (summary.chunks !== plan.count || summary.rows !== plan.rows) {
    throw new ServiceError(
      'INTERNAL',
      `Job ${job.id} ended with ${summary.chunks} of ${plan.count} chunks (${summary.rows} of ${plan.rows} rows) stored.`,
    );
  }
  const result: DetectJobResult = {
    location: resultsLocation(job.id),
    rows: summary.rows,
    anomalies: summary.anomalies,
    threshold: spec.threshold,
    modelVersion: modelVersionRef(spec.modelId, spec.version),
  };
  return (await store.succeed(job.id, result))
    ? { kind: 'succeeded', rows: summary.rows }
    : { kind: 'cancelled' };
}
