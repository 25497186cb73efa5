export { fileSystemIO, toModelDirectory, MODEL_JSON } from './io/file-system-io.js';
export type {
  FileSystemArtifacts,
  FileSystemIOHandler,
  FileSystemIOOptions,
  FileSystemPromises,
} from './io/file-system-io.js';
export { saveModelToDirectory, loadModelFromDirectory } from './io/model-directory.js';
