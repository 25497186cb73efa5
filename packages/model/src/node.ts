export { fileSystemIO, toModelDirectory, MODEL_JSON } from './file-system-io.js';
export type { FileSystemIOOptions, FileSystemPromises } from './file-system-io.js';
export { saveModelToDirectory, loadModelFromDirectory } from './model-directory.js';
