import type { EpochResult, FitCallback, FitContext } from './callback.js';

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** Which number to watch: `valLoss` (default) or a metric name. Lower is better. */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 2. */
  patience?: number;
  /** Smallest decrease that counts as improvement. Default 0. */
  minDelta?: number;
}

function monitored(result: EpochResult, monitor: string): number {
  const v = monitor === 'valLoss' ? result.valLoss : result.metrics[monitor];
  if (v === undefined)
    throw new RangeError(
      `nothing named ${monitor} to monitor; the metrics are ${Object.keys(result.metrics).join(', ') || 'none'}`,
    );
  return v;
}

/** Stops training when the monitored value has not improved for `patience` epochs (not an error). */
export function earlyStopping(options: EarlyStoppingOptions = {}): FitCallback {
  const { monitor = 'valLoss', patience = 2, minDelta = 0 } = options;
  let best = Infinity;
  let waited = 0;
  return {
    onTrainBegin() {
      best = Infinity;
      waited = 0;
    },
    onEpochEnd(context: FitContext, result: EpochResult) {
      const v = monitored(result, monitor);
      if (v < best - minDelta) {
        best = v;
        waited = 0;
      } else if (++waited >= patience) {
        context.stop(
          `early stopping: ${monitor} has not improved for ${patience} epochs (best ${best})`,
        );
      }
    },
  };
}

/** Calls `save` after each epoch whose monitored value is the best so far (e.g. to write the model). */
export function saveBestModel(
  save: (context: FitContext, result: EpochResult) => void | Promise<void>,
  options: { monitor?: string } = {},
): FitCallback {
  const monitor = options.monitor ?? 'valLoss';
  let best = Infinity;
  return {
    onTrainBegin() {
      best = Infinity;
    },
    async onEpochEnd(context: FitContext, result: EpochResult) {
      const v = monitored(result, monitor);
      if (v < best) {
        best = v;
        await save(context, result);
      }
    },
  };
}

/** Formats the fastai 0.7-style table: a header line, then one line per epoch. */
export function formatEpochRow(result: EpochResult): string {
  const cells = [
    String(result.epoch).padStart(5),
    fmt(result.trainLoss),
    fmt(result.valLoss),
    ...Object.values(result.metrics).map(fmt),
    result.seconds.toFixed(2).padStart(8),
  ];
  return cells.join('  ');
}

/** The header of {@link formatEpochRow}'s table. */
export function formatEpochHeader(metricNames: readonly string[]): string {
  return [
    'epoch'.padStart(5),
    ...['trn_loss', 'val_loss', ...metricNames].map((h) => h.padStart(10)),
    'time (s)'.padStart(8),
  ].join('  ');
}

function fmt(v: number): string {
  return v.toFixed(6).padStart(10);
}

/** A callback that writes the header at the start of `fit` and a row after each epoch. */
export function printEpochTable(
  write: (line: string) => void = (line) => console.log(line),
): FitCallback {
  let printedHeader = false;
  return {
    onTrainBegin() {
      printedHeader = false;
    },
    onEpochEnd(_context, result) {
      if (!printedHeader) {
        write(formatEpochHeader(Object.keys(result.metrics)));
        printedHeader = true;
      }
      write(formatEpochRow(result));
    },
  };
}
