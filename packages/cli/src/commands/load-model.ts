import { resolve } from 'node:path';
import { CfError, parseRawId, UnknownIdError, type RawId } from '@cf/data';
import type { TrainedModel } from '@cf/model';
import { loadModelFromDirectory } from '@cf/model/node';
import { selectBackend, type BackendName } from '../backend.js';
import { UsageError, type CliIO } from '../cli-io.js';

/** Selects the backend and loads a model folder written by `cf train`. */
export async function loadModelForCommand(
  dir: string,
  backend: BackendName,
  io: CliIO,
): Promise<TrainedModel> {
  await selectBackend(backend);
  return loadModelFromDirectory(resolve(io.cwd, dir));
}

/** A raw id from the command line, by the same rule as the loaders (`42` → 42, `u7` → "u7"); an empty one is bad usage. */
export function cliId(text: string, option = '--id'): RawId {
  if (text.trim() === '')
    throw new UsageError(`${option} is empty; give a raw id from the training data`);
  return parseRawId(text.trim());
}

/**
 * Runs `action`, turning an {@link UnknownIdError} into a message for a command that has no
 * fallback: what the id is, and what to do instead.
 */
export function withKnownId<T>(action: () => T, instead: string): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof UnknownIdError) throw new UnknownIdInCommandError(error, instead);
    throw error;
  }
}

/** An id a command needs is not in the model; exit 1. */
export class UnknownIdInCommandError extends CfError {
  readonly kind: UnknownIdError['kind'];
  readonly id: UnknownIdError['id'];
  constructor(cause: UnknownIdError, instead: string) {
    super(
      'UNKNOWN_ID',
      `unknown ${cause.kind} id ${JSON.stringify(cause.id)}: the model has no ${cause.kind} with that id (it had no rating in the training data); ${instead}`,
      { cause },
    );
    this.kind = cause.kind;
    this.id = cause.id;
  }
}
