/** A metric over eval-mode predictions and targets (fastai's `metrics`). */
export interface Metric {
  readonly name: string;
  /** The metric over paired predictions and targets (same length). */
  compute(prediction: Float32Array, target: Float32Array): number;
}

function checkLengths(prediction: Float32Array, target: Float32Array): void {
  if (prediction.length !== target.length) {
    throw new RangeError(
      `metric: ${prediction.length} predictions for ${target.length} targets (shapes must match exactly)`,
    );
  }
}

/** Mean squared error. NaN for no rows. */
export const mse: Metric = {
  name: 'mse',
  compute(prediction, target) {
    checkLengths(prediction, target);
    let sum = 0;
    for (let k = 0; k < target.length; k++) {
      const e = prediction[k]! - target[k]!;
      sum += e * e;
    }
    return target.length ? sum / target.length : NaN;
  },
};

/** Root mean squared error. NaN for no rows. */
export const rmse: Metric = {
  name: 'rmse',
  compute(prediction, target) {
    return Math.sqrt(mse.compute(prediction, target));
  },
};

/** Mean absolute error. NaN for no rows. */
export const mae: Metric = {
  name: 'mae',
  compute(prediction, target) {
    checkLengths(prediction, target);
    let sum = 0;
    for (let k = 0; k < target.length; k++) sum += Math.abs(prediction[k]! - target[k]!);
    return target.length ? sum / target.length : NaN;
  },
};
