/**
 * A scoring thread (node:worker_threads): scores chunks and fits models off the worker's event
 * loop, so its queue-lock renewals, progress writes and probes stay on time however long the
 * computation. Loaded models are kept by version; versions never change, so none goes stale.
 */
import { parentPort } from 'node:worker_threads';
import { loadDetector, Matrix, type Detector } from '@nomaly/detection-core';
import { fitModel } from '@nomaly/detector-runtime';
import { ServiceError } from '@nomaly/platform-core';
import type { ThreadError, ThreadRequest, ThreadResponse } from './messages.js';

/** Models kept per thread: the jobs a worker runs at once rarely use more. */
const MAX_MODELS = 4;

const port = parentPort;
if (port === null) throw new Error('scoring-thread.js runs as a worker thread, not as a program');

const models = new Map<string, Detector>();

function model(key: string, document: string | undefined): Detector {
  const known = models.get(key);
  if (known !== undefined) return known;
  if (document === undefined) throw new Error(`model ${key} is not loaded on this thread`);
  const loaded = loadDetector(JSON.parse(document));
  models.set(key, loaded);
  // Map order is insertion order: the oldest model goes first.
  for (const oldest of models.keys()) {
    if (models.size <= MAX_MODELS) break;
    models.delete(oldest);
  }
  return loaded;
}

function asThreadError(error: unknown): ThreadError {
  if (error instanceof ServiceError) {
    return { message: error.message, code: error.code, status: error.status };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function handle(request: ThreadRequest): void {
  try {
    switch (request.kind) {
      case 'score': {
        const detector = model(request.modelKey, request.document);
        const X = new Matrix(request.values, request.rows, request.cols, detector.featureNames);
        const scores = detector.score(X);
        const response: ThreadResponse = { id: request.id, ok: true, scores };
        port?.postMessage(response, [scores.buffer as ArrayBuffer]);
        return;
      }
      case 'fit': {
        const fitted = fitModel(request.request, {
          data: request.data,
          rows: request.rows,
          features: request.features,
        });
        const response: ThreadResponse = { id: request.id, ok: true, fitted };
        port?.postMessage(response, [fitted.scores.buffer as ArrayBuffer]);
        return;
      }
    }
  } catch (error) {
    const response: ThreadResponse = { id: request.id, ok: false, error: asThreadError(error) };
    port?.postMessage(response);
  }
}

port.on('message', handle);
