// The protocol between the page (main.ts) and the training worker (worker.ts).
import type { RawId } from '@cf/data';
import type { Recommendation } from '@cf/model';
import type { EpochResult, RecipeName } from '@cf/trainer';
import type { io } from '@tensorflow/tfjs-core';

/** Backends the page offers. */
export type BackendChoice = 'webgl' | 'wasm' | 'cpu' | 'webgpu';

/** Hyper-parameters a user can set; unset fields take the recipe's defaults. */
export interface TrainSettings {
  recipe: Exclude<RecipeName, 'bias' | 'best'>;
  backend: BackendChoice;
  /** Epochs of each `fit` (the notebook's `[5, 10]`); the fastai recipe runs one one-cycle of their sum. */
  epochs?: number[];
  lr?: number;
  nFactors?: number;
  batchSize?: number;
  /**
   * Training threads: `'auto'` for every core, 1 for one. Several threads need a cross-origin
   * isolated page (the dev and preview servers send COOP/COEP) and the fused engine (cpu or wasm
   * backend); otherwise training runs on one thread and `fit-begin` says why.
   */
  threads: 'auto' | 1;
  valPct: number;
  seed: number;
}

/** Ratings to load: a file's bytes (`ratings.csv`, `u.data`, `ratings.dat` or a MovieLens zip) or the served sample. */
export type DataSource =
  | { kind: 'file'; name: string; bytes: ArrayBuffer; maxRows?: number }
  | { kind: 'url'; ratingsUrl: string; titlesUrl?: string; label: string; maxRows?: number };

/** A model summary shown after training or loading. */
export interface ModelSummary {
  label: string;
  type: string;
  nUsers: number;
  nItems: number;
  /** A few raw user and item ids to prefill the inputs with. */
  exampleUserId: RawId;
  exampleItemId: RawId;
}

export type ToWorker =
  | { type: 'load-data'; source: DataSource }
  | { type: 'train'; settings: TrainSettings }
  | { type: 'stop' }
  | { type: 'recommend'; userId: string; k: number }
  | { type: 'recommend-all'; k: number }
  | { type: 'similar'; itemId: string; k: number }
  | { type: 'predict'; userId: string; itemId: string }
  | { type: 'save'; url: 'indexeddb://cf-model' }
  | { type: 'export' }
  | { type: 'load-model'; url: string; backend: BackendChoice };

export type FromWorker =
  | { type: 'ready'; webgpu: boolean }
  | {
      type: 'data';
      label: string;
      nRatings: number;
      nUsers: number;
      nItems: number;
      titles: number;
    }
  | { type: 'backend'; requested: BackendChoice; active: string; engine: 'fused' | 'tfjs' }
  | {
      type: 'fit-begin';
      fitIndex: number;
      epochs: number;
      batchesPerEpoch: number;
      /** Threads this fit trains on. */
      threads: number;
      /** Why fewer threads than asked for, when so. */
      threadsNote?: string;
    }
  | { type: 'progress'; batch: number; batchesPerEpoch: number; smoothedLoss: number }
  | { type: 'epoch'; fitIndex: number; result: EpochResult }
  | {
      type: 'trained';
      rmse: number;
      mae: number;
      baselineRmse: number;
      meanOnlyRmse: number;
      /** A ranking recipe's top-10 NDCG and recall on the validation rows (its RMSE is NaN). */
      ranking?: { ndcg: number; recall: number; users: number };
      secondsPerEpoch: number;
      interrupted: boolean;
      model: ModelSummary;
    }
  | { type: 'recommendations'; userId: string; items: Recommendation[] }
  | {
      type: 'recommended-all';
      /** Users who got a list. */
      users: number;
      /** Threads (ranking workers) that ranked, and why fewer than every core when so. */
      threads: number;
      threadsNote?: string;
      seconds: number;
      /** The first user's list, to compare with a one-user `recommend`. */
      first: { userId: string; items: Recommendation[] };
    }
  | { type: 'similar'; itemId: string; items: Recommendation[] }
  | { type: 'prediction'; userId: string; itemId: string; rating: number; source: string }
  | { type: 'saved'; url: string }
  | { type: 'artifacts'; artifacts: io.ModelArtifacts }
  | { type: 'model-loaded'; url: string; model: ModelSummary }
  | { type: 'error'; during: ToWorker['type']; message: string };
