import { resolve } from 'node:path';
import { parseRawId, type RawId } from '@cf/data';
import type { TrainedModel } from '@cf/model';
import { loadModelFromDirectory } from '@cf/model/node';
import { selectBackend, type BackendName } from '../backend.js';
import type { CliIO } from '../cli-io.js';

/** Selects the backend and loads a model folder written by `cf train`. */
export async function loadModelForCommand(
  dir: string,
  backend: BackendName,
  io: CliIO,
): Promise<TrainedModel> {
  await selectBackend(backend);
  return loadModelFromDirectory(resolve(io.cwd, dir));
}

/** A raw id from the command line, by the same rule as the loaders (`42` → 42, `u7` → "u7"). */
export function cliId(text: string): RawId {
  return parseRawId(text.trim());
}
