import { CfError } from '@cf/data';

/**
 * What was wrong with saved model artifacts: `missing` (no model.json or weights file), `unreadable`
 * (the IO handler failed), `json` (model.json does not parse: truncated or edited), `format` (not a
 * cf model), `version` (a format version this build cannot read), `config` (a bad model config or
 * field), `weights-length` (weight bytes do not match their specs), `checksum` (weight bytes were
 * changed), `parameters` (parameter names or shapes do not match the config), `seen` (bad seen-items
 * arrays).
 */
export type ModelFormatReason =
  | 'missing'
  | 'unreadable'
  | 'json'
  | 'format'
  | 'version'
  | 'config'
  | 'weights-length'
  | 'checksum'
  | 'parameters'
  | 'seen';

/** Saved model artifacts could not be loaded: which source, why, and (where it applies) what was found and expected. */
export class ModelFormatError extends CfError {
  /** The directory, URL or handler label the artifacts came from. */
  readonly source: string;
  readonly reason: ModelFormatReason;
  /** What was found, when one value is at fault (e.g. the format version `"2"`). */
  readonly found: string | undefined;
  /** What this build expects instead (e.g. `"1"`). */
  readonly expected: string | undefined;
  constructor(
    source: string,
    reason: ModelFormatReason,
    message: string,
    options: { found?: string; expected?: string; cause?: unknown } = {},
  ) {
    super(
      'MODEL_FORMAT',
      `cannot load model from ${source}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.source = source;
    this.reason = reason;
    this.found = options.found;
    this.expected = options.expected;
  }
}
