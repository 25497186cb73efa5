import type { MovieLensName } from './download-dataset.js';

/** The size and SHA-256 a download must have, and where that pin comes from. */
export interface DownloadPin {
  /** Byte length of the zip. */
  bytes: number;
  /** SHA-256 of the zip, 64 lower-case hex digits. */
  sha256: string;
  /** The evidence for the pin. */
  source: string;
}

const TFDS =
  'TensorFlow Datasets, tensorflow_datasets/url_checksums/movielens.txt (tensorflow/datasets, commit 1c076ac3c19c8ea83e1d1a75e0623c9a699e0d7c)';

/**
 * The GroupLens releases cf can verify: byte length and SHA-256 of each zip, pinned here so that a
 * download is checked against cf's own record, not against a checksum fetched from the same server
 * (as fastai's `untar_data` keeps its datasets' sizes and checksums in its code). GroupLens releases
 * are immutable; `ml-latest-small` is the September 2018 release (100,836 ratings), the one cf's
 * results and fixtures use. Evidence: the same URLs with these sizes and SHA-256 digests are pinned
 * by TensorFlow Datasets (see `source`); cf cannot reach GroupLens from its build machines to
 * recompute them, and pins none it could not establish: `ml-32m` has no pin, so its download keeps
 * the published-MD5 check and says that it could not be verified against a pin.
 */
export const MOVIELENS_PINS: Readonly<Partial<Record<MovieLensName, DownloadPin>>> = {
  'ml-latest-small': {
    bytes: 978_202,
    sha256: '696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436',
    source: TFDS,
  },
  'ml-100k': {
    bytes: 4_924_029,
    sha256: '50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229',
    source: TFDS,
  },
  'ml-1m': {
    bytes: 5_917_549,
    sha256: 'a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20',
    source: TFDS,
  },
  'ml-25m': {
    bytes: 261_978_986,
    sha256: '8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa',
    source: TFDS,
  },
};
