import { readFile } from 'node:fs/promises';
import {
  loadVerifiedArtifact,
  type CentralClient,
  type EdgeModel,
  type ServedModel,
} from '@nomaly/edge-runtime';
import { ServiceError, type Logger } from '@nomaly/platform-core';

/**
 * Where a function gets its model. Implementations keep it in module scope, so a warm Lambda
 * container loads it once and every later invocation reuses it.
 */
export interface ModelProvider {
  get(): Promise<ServedModel>;
  /** Artifacts loaded (and verified) so far in this container. */
  readonly loads: number;
}

/** A model shipped in the deployment package; loaded and verified on first use, then kept. */
export class BundledModelProvider implements ModelProvider {
  private model: Promise<ServedModel> | undefined;
  loads = 0;

  constructor(
    private readonly source: {
      readonly path: string;
      readonly sha256: string;
      readonly modelId: string;
      readonly version: number;
      readonly name: string;
    },
  ) {}

  get(): Promise<ServedModel> {
    this.model ??= this.load().catch((error: unknown) => {
      // A failed load is not cached: the next invocation tries again.
      this.model = undefined;
      throw error;
    });
    return this.model;
  }

  private async load(): Promise<ServedModel> {
    const { path, sha256, modelId, version, name } = this.source;
    const bytes = await readFile(path);
    const detector = loadVerifiedArtifact(bytes, sha256, { modelId, version });
    this.loads += 1;
    return { modelId, version, sha256: sha256.toLowerCase(), name, detectorId: null, detector };
  }
}

/**
 * The champion of a model, from the central API: fetched on first use, verified against the
 * SHA-256 central lists, and kept; after `refreshMs` the list is asked again and a new version
 * loaded only if the champion moved. If central cannot be reached then, the model in hand keeps
 * serving; with no model in hand the call answers 503.
 */
export class CentralModelProvider implements ModelProvider {
  private current: { model: ServedModel; checkedAt: number } | undefined;
  private refreshing: Promise<ServedModel> | undefined;
  loads = 0;

  constructor(
    private readonly central: CentralClient,
    private readonly modelId: string,
    private readonly refreshMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<ServedModel> {
    const current = this.current;
    if (current !== undefined && this.now() - current.checkedAt < this.refreshMs) {
      return current.model;
    }
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<ServedModel> {
    const held = this.current?.model;
    try {
      const listed = (await this.central.edgeModels()).find((m) => m.modelId === this.modelId);
      if (listed === undefined) {
        throw new ServiceError(
          'SERVICE_UNAVAILABLE',
          `Model ${this.modelId} has no champion version in the central registry.`,
        );
      }
      const model =
        held?.version === listed.version && held.sha256 === listed.sha256
          ? held
          : await this.load(listed);
      this.current = { model, checkedAt: this.now() };
      return model;
    } catch (error) {
      if (held !== undefined) {
        this.logger.warn(
          { err: error, modelId: this.modelId, version: held.version },
          'central unreachable or refusing; the model in hand keeps serving',
        );
        this.current = { model: held, checkedAt: this.now() };
        return held;
      }
      if (error instanceof ServiceError) throw error;
      throw new ServiceError(
        'DEPENDENCY_UNAVAILABLE',
        'The model could not be loaded from central.',
        {
          cause: error,
          retryAfterSeconds: 5,
        },
      );
    }
  }

  private async load(listed: EdgeModel): Promise<ServedModel> {
    const bytes = await this.central.artifact(listed.modelId, listed.version);
    const detector = loadVerifiedArtifact(bytes, listed.sha256, listed);
    this.loads += 1;
    this.logger.info(
      { modelId: listed.modelId, version: listed.version },
      'model loaded from central',
    );
    return {
      modelId: listed.modelId,
      version: listed.version,
      sha256: listed.sha256,
      name: listed.name,
      detectorId: null,
      detector,
    };
  }
}
