import cliProgress from 'cli-progress';
import type { FitCallback } from '@cf/trainer';
import { formatEpochHeader, formatEpochRow } from '@cf/trainer';
import type { CliIO } from './cli-io.js';

/** How much the CLI prints while it works. */
export type Verbosity = 'quiet' | 'normal';

/**
 * Prints training progress to `stream`: on a TTY a progress bar per epoch (batches, smoothed loss,
 * ETA) from cli-progress; elsewhere nothing per batch. After each epoch, the fastai-style table row.
 */
export function epochProgress(stream: CliIO['stderr'], verbosity: Verbosity): FitCallback {
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
    onEpochEnd(_context, result) {
      bar?.stop();
      bar = undefined;
      if (!headerPrinted) {
        stream.write(formatEpochHeader(Object.keys(result.metrics)) + '\n');
        headerPrinted = true;
      }
      stream.write(formatEpochRow(result) + '\n');
    },
    onTrainEnd() {
      bar?.stop();
    },
  };
}
