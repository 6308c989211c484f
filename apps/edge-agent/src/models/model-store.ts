import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadVerifiedArtifact, type ServedModel } from '@nomaly/edge-runtime';
import type { Logger } from '@nomaly/platform-core';
import { fsyncDirectory, isAtomicWriteLeftover, writeFileAtomic } from '../storage/durable-fs.js';

/** What the manifest records per model: enough to load and verify it without central. */
interface ManifestEntry {
  readonly modelId: string;
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  readonly detectorId: string;
  readonly file: string;
}

interface Manifest {
  readonly formatVersion: 1;
  readonly models: ManifestEntry[];
}

/** A model the agent serves: its results are uploaded against its detector. */
export type EdgeServedModel = ServedModel & { readonly detectorId: string };

const MANIFEST = 'manifest.json';

/**
 * The models an agent serves, in memory and on disk (`EDGE_DATA_DIR/models`), so that a restart
 * with central unreachable serves what it served before. Each artifact is its own file, written
 * atomically before the manifest that names it (also atomic): after a crash the manifest names
 * either the old artifact or the new one, both whole. Every artifact's SHA-256 is verified again
 * when loaded from disk; one that fails is not served.
 */
export class ModelStore {
  private readonly models = new Map<string, EdgeServedModel>();

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Loads the cached models, removing files no manifest names (leftovers of a crash). */
  static async open(dir: string, logger: Logger): Promise<ModelStore> {
    await mkdir(dir, { recursive: true });
    const store = new ModelStore(dir, logger);
    const manifest = await store.readManifest();
    for (const entry of manifest.models) {
      try {
        const bytes = await readFile(join(dir, entry.file));
        const detector = loadVerifiedArtifact(bytes, entry.sha256, entry);
        store.models.set(entry.modelId, { ...entryInfo(entry), detector });
      } catch (error) {
        logger.error(
          { err: error, modelId: entry.modelId, version: entry.version },
          'model cache: a cached artifact does not verify or load; not serving it until the next sync',
        );
      }
    }
    const named = new Set(manifest.models.map((entry) => entry.file));
    let removed = false;
    for (const name of await readdir(dir)) {
      if (name === MANIFEST || named.has(name)) continue;
      if (name.endsWith('.json') || isAtomicWriteLeftover(name)) {
        await rm(join(dir, name), { force: true });
        removed = true;
      }
    }
    if (removed) await fsyncDirectory(dir);
    return store;
  }

  all(): EdgeServedModel[] {
    return [...this.models.values()];
  }

  get(modelId: string): EdgeServedModel | undefined {
    return this.models.get(modelId);
  }

  /** The model of a detector, or a model by id or name. */
  find(selector: string): EdgeServedModel | undefined {
    const lower = selector.toLowerCase();
    for (const model of this.models.values()) {
      if (model.modelId === lower || model.detectorId === lower || model.name === selector) {
        return model;
      }
    }
    return undefined;
  }

  byDetector(detectorId: string): EdgeServedModel | undefined {
    const lower = detectorId.toLowerCase();
    return this.all().find((model) => model.detectorId === lower);
  }

  /**
   * Serves a new version: its artifact (already verified by the caller) is made durable, then
   * the manifest, then it replaces the old version in memory and the old file goes.
   */
  async put(model: EdgeServedModel, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(join(this.dir, artifactFile(model)), bytes);
    const previous = this.models.get(model.modelId);
    this.models.set(model.modelId, model);
    await this.writeManifest();
    if (previous !== undefined) await this.removeFileOf(previous);
  }

  /** Stops serving a model central no longer lists. */
  async remove(modelId: string): Promise<void> {
    const previous = this.models.get(modelId);
    if (previous === undefined) return;
    this.models.delete(modelId);
    await this.writeManifest();
    await this.removeFileOf(previous);
  }

  private async removeFileOf(model: EdgeServedModel): Promise<void> {
    const file = artifactFile(model);
    if (this.all().some((m) => artifactFile(m) === file)) return;
    await rm(join(this.dir, file), { force: true });
    await fsyncDirectory(this.dir);
  }

  private async writeManifest(): Promise<void> {
    const manifest: Manifest = {
      formatVersion: 1,
      models: this.all().map((model) => ({
        modelId: model.modelId,
        name: model.name,
        version: model.version,
        sha256: model.sha256,
        detectorId: model.detectorId,
        file: artifactFile(model),
      })),
    };
    await writeFileAtomic(join(this.dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  }

  private async readManifest(): Promise<Manifest> {
    let text: string;
    try {
      text = await readFile(join(this.dir, MANIFEST), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { formatVersion: 1, models: [] };
      throw error;
    }
    let parsed: Partial<Manifest> | undefined;
    try {
      parsed = JSON.parse(text) as Partial<Manifest>;
    } catch {
      parsed = undefined;
    }
    if (parsed?.formatVersion !== 1 || !Array.isArray(parsed.models)) {
      // Written atomically, so this is not a crash: someone edited it. Start empty; the next
      // sync fills the cache again.
      this.logger.error(
        { file: join(this.dir, MANIFEST) },
        'model cache: the manifest is not one this agent wrote (format version 1); ignoring the cache',
      );
      return { formatVersion: 1, models: [] };
    }
    return parsed as Manifest;
  }
}

function artifactFile(model: { modelId: string; version: number; sha256: string }): string {
  return `${model.modelId}-v${model.version}-${model.sha256.slice(0, 16)}.json`;
}

function entryInfo(entry: ManifestEntry) {
  return {
    modelId: entry.modelId,
    name: entry.name,
    version: entry.version,
    sha256: entry.sha256,
    detectorId: entry.detectorId,
  };
}
