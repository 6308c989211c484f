/**
 * The shapes of the public REST API as the UI reads them (README service sections and the
 * services' DTOs). Only what the UI uses is declared; the services may send more.
 */

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
}

export type Role = 'viewer' | 'analyst' | 'admin';

export interface Me {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: Role[];
  readonly kind: string;
}

export interface ColumnStats {
  readonly name: string;
  readonly index: number;
  readonly type: 'numeric' | 'categorical' | 'timestamp';
  readonly role: 'feature' | 'label';
  readonly note?: string;
  readonly count: number;
  readonly missing: number;
  readonly nonFinite: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | string | null;
  readonly p25: number | null;
  readonly p50: number | null;
  readonly p75: number | null;
  readonly max: number | string | null;
  readonly unique?: number;
  readonly top?: ReadonlyArray<{ value: string; count: number }>;
}

export interface QualityReport {
  readonly missingValues: { total: number; byColumn: Record<string, number> };
  readonly nonFiniteValues: { total: number; byColumn: Record<string, number> };
  readonly constantColumns: string[];
  readonly duplicateColumns: string[][];
  readonly duplicateRows: number;
}

export interface DatasetSummary {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly rows: number;
  readonly columnCount: number;
  readonly labelColumn?: string;
  readonly checksum: string;
  readonly format: string;
  readonly bytes: number;
  readonly createdAt: string;
}

export interface Dataset extends DatasetSummary {
  readonly columns: ColumnStats[];
  readonly quality: QualityReport;
}

export interface DatasetQuality {
  readonly id: string;
  readonly rows: number;
  readonly quality: QualityReport;
  readonly columns: Array<{
    name: string;
    type: string;
    missing: number;
    nonFinite: number;
    note?: string;
  }>;
}

export interface DatasetSample {
  readonly id: string;
  readonly columns: string[];
  readonly rows: Array<Array<number | string | null>>;
}

export interface Algorithm {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly reference: string;
  readonly explainable: boolean;
  readonly randomized: boolean;
  readonly parameters: Record<string, unknown>;
}

export interface Detector {
  readonly id: string;
  readonly name: string;
  readonly algorithm: string;
  readonly parameters: Record<string, unknown>;
  readonly features: string[] | null;
  readonly modelId: string | null;
  readonly latestVersion: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ModelVersionRef {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
}

export interface TrainingResult {
  readonly modelVersion: ModelVersionRef & { sha256: string };
  readonly rows: number;
  readonly features: string[];
  readonly threshold: number;
  readonly durationMs: number;
  readonly metrics?: { rocAuc: number; averagePrecision: number };
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Job {
  readonly id: string;
  readonly type: 'train' | 'detect';
  readonly state: JobState;
  readonly detectorId: string;
  readonly datasetId: string;
  readonly progress: { rows: number; totalRows: number };
  readonly attempts: number;
  readonly error?: { code: string; detail: string };
  readonly result?: Partial<TrainingResult> & {
    location?: string;
    anomalies?: number;
    rows?: number;
    threshold?: number;
  };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/** `202` from train: the job, with its id also as `jobId`. */
export type TrainAccepted = Job & { readonly jobId: string };

export interface JobResultRow {
  readonly rowIndex: number;
  readonly score: number;
  readonly label: number;
}

export interface DetectResponse {
  readonly scores: number[];
  readonly labels: number[];
  readonly threshold: number;
  readonly modelVersion: ModelVersionRef;
  readonly features: string[];
  readonly explanations?: number[][];
}

export interface Model {
  readonly id: string;
  readonly name: string;
  readonly algorithm: string;
  readonly detectorId: string | null;
  readonly latestVersion: number;
  readonly champion: number | null;
  readonly challenger: number | null;
  readonly createdAt: string;
}

export interface ModelVersion {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly algorithm: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly parameters: Record<string, unknown>;
  readonly training: {
    scoreSummary?: Record<string, number>;
    threshold: number;
    rows: number;
    durationMs: number | null;
    anomalyRate: number;
  };
  readonly metrics: { rocAuc: number | null; averagePrecision: number | null } | null;
  readonly lineage: {
    datasetId: string | null;
    datasetChecksum: string | null;
    detectorId: string | null;
    codeVersion: string | null;
  };
  readonly aliases: Array<'champion' | 'challenger'>;
  readonly stage: 'production' | 'staging' | 'archived' | 'none';
  readonly createdAt: string;
  readonly archivedAt: string | null;
}
