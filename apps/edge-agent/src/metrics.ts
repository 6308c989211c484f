import { PlatformMetrics } from '@nomaly/platform-core';
import { Counter, Gauge } from 'prom-client';
import type { BufferStats } from './buffer/result-buffer.js';

/**
 * The agent's Prometheus series on top of the platform's HTTP ones: how much waits in the
 * buffer, when central was last reached, and what failed. Read at scrape time where they are
 * state (buffer, models), counted where they are events.
 */
export class EdgeMetrics {
  readonly platform: PlatformMetrics;
  readonly uploaded: Counter<'outcome'>;
  readonly uploadFailures: Counter<'reason'>;
  readonly syncFailures: Counter<'reason'>;
  readonly bufferRejections: Counter;
  readonly deadLetters: Counter;
  readonly bufferDamage: Counter;
  private readonly lastSync: Gauge;
  private readonly lastUpload: Gauge;
  /** When central last answered the model list and acknowledged an upload (for `/status`). */
  lastSyncAt: Date | undefined;
  lastUploadAt: Date | undefined;

  constructor(service: string, read: { buffer: () => BufferStats; models: () => number }) {
    this.platform = new PlatformMetrics(service);
    const registers = [this.platform.registry];
    new Gauge({
      name: 'nomaly_edge_buffered_results',
      help: 'Results on disk that central has not acknowledged yet.',
      registers,
      collect() {
        this.set(read.buffer().results);
      },
    });
    new Gauge({
      name: 'nomaly_edge_buffer_bytes',
      help: 'Bytes of the buffer segment files (bounded by EDGE_BUFFER_MAX_MB).',
      registers,
      collect() {
        this.set(read.buffer().bytes);
      },
    });
    new Gauge({
      name: 'nomaly_edge_buffer_max_bytes',
      help: 'EDGE_BUFFER_MAX_MB in bytes: at this size new detects answer 503.',
      registers,
      collect() {
        this.set(read.buffer().maxBytes);
      },
    });
    new Gauge({
      name: 'nomaly_edge_models_served',
      help: 'Model versions loaded and verified.',
      registers,
      collect() {
        this.set(read.models());
      },
    });
    this.uploaded = new Counter({
      name: 'nomaly_edge_uploaded_results_total',
      help: 'Results central acknowledged: accepted now, or already held (duplicate).',
      labelNames: ['outcome'],
      registers,
    });
    this.uploadFailures = new Counter({
      name: 'nomaly_edge_upload_failures_total',
      help: 'Upload attempts that failed: central unreachable, or refusing the batch.',
      labelNames: ['reason'],
      registers,
    });
    this.syncFailures = new Counter({
      name: 'nomaly_edge_sync_failures_total',
      help: 'Model sync failures: central unreachable or refusing, or an artifact not used (sha256-mismatch, invalid-document).',
      labelNames: ['reason'],
      registers,
    });
    this.bufferRejections = new Counter({
      name: 'nomaly_edge_buffer_full_rejections_total',
      help: 'Detects answered 503 because the buffer was full.',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'nomaly_edge_dead_letter_results_total',
      help: 'Results central refused for good, moved to dead-letter.ndjson.',
      registers,
    });
    this.bufferDamage = new Counter({
      name: 'nomaly_edge_buffer_damaged_stretches_total',
      help: 'Damaged stretches of buffer files found on start (disk corruption, not a crash).',
      registers,
    });
    this.lastSync = new Gauge({
      name: 'nomaly_edge_last_sync_timestamp_seconds',
      help: 'When the model list was last fetched from central (Unix time).',
      registers,
    });
    this.lastUpload = new Gauge({
      name: 'nomaly_edge_last_upload_timestamp_seconds',
      help: 'When central last acknowledged an upload (Unix time).',
      registers,
    });
  }

  markSynced(at = new Date()): void {
    this.lastSyncAt = at;
    this.lastSync.set(at.getTime() / 1000);
  }

  markUploaded(at = new Date()): void {
    this.lastUploadAt = at;
    this.lastUpload.set(at.getTime() / 1000);
  }
}
