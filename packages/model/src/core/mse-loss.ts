import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@cf/data';

/**
 * Mean squared error of two tensors of exactly the same shape, as a scalar tensor the caller owns
 * (and must dispose). A prediction of shape `[B, 1]` against targets of shape `[B]` is an error,
 * never a silent broadcast to `[B, B]` (the classic PyTorch `F.mse_loss` pitfall).
 */
export function mseLoss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const a = prediction.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((d, k) => d !== b[k])) {
    throw new InvalidArgumentError(
      'target',
      `shape [${b.join(', ')}] does not match the prediction's [${a.join(', ')}]; reshape one of them (e.g. squeeze the prediction's last axis) so they are equal`,
    );
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)));
}
