import cliProgress from 'cli-progress';
import type { FitCallback } from '@cf/trainer';
import { formatEpochHeader, formatEpochRow } from '@cf/trainer';
import type { CliIO } from './cli-io.js';

/** How much the CLI prints while it works. */
export type Verbosity = 'quiet' | 'normal';

/**
 * Prints training progress to `stream`: on a TTY a progress bar per epoch (batches, smoothed loss,
 * ETA) from cli-progress; elsewhere nothing per batch. After each epoch, the fastai-style table row;
 * with `validation: false` (training on every row) the row has no validation columns.
 */
export function epochProgress(
  stream: CliIO['stderr'],
  verbosity: Verbosity,
  options: { validation?: boolean } = {},
): FitCallback {
  const validation = options.validation !== false;
  if (verbosity === 'quiet') return {};
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let headerPrinted = false;
  return {
    onTrainBegin() {
      headerPrinted = false;
    },
    onEpochBegin(context) {
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          stream: stream as unknown as NodeJS.WritableStream,
          format: `epoch ${context.epoch + 1}/${context.epochs} {bar} {value}/{total} batches | loss {loss} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 200,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(context.batchesPerEpoch, 0, { loss: '-' });
    },
    onBatchEnd(context) {
      bar?.update(context.batch + 1, { loss: context.smoothedLoss.toFixed(4) });
    },
    onEpochEnd(context, result) {
      bar?.stop();
      bar = undefined;
      if (result.complete === false) {
        stream.write(
          `epoch ${result.epoch} interrupted after ${context.batch + 1} of ${context.batchesPerEpoch} batches: not a complete epoch, so no table row and no checkpoint\n`,
        );
        return;
      }
      if (!headerPrinted) {
        stream.write(
          (validation
            ? formatEpochHeader(Object.keys(result.metrics))
            : ['epoch'.padStart(5), 'trn_loss'.padStart(10), 'time (s)'.padStart(8)].join('  ')) +
            '\n',
        );
        headerPrinted = true;
      }
      stream.write(
        (validation
          ? formatEpochRow(result)
          : [
              String(result.epoch).padStart(5),
              result.trainLoss.toFixed(6).padStart(10),
              result.seconds.toFixed(2).padStart(8),
            ].join('  ')) + '\n',
      );
    },
    onTrainEnd() {
      bar?.stop();
    },
  };
}
