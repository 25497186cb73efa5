import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@cf/data';
import { describeEachBackend } from '@cf/test-utils';
import { mseLoss } from './mse-loss.js';

describeEachBackend('mseLoss', () => {
  it('is the mean squared error of equally shaped tensors', () => {
    const loss = mseLoss(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 4, 0]));
    expect(loss.dataSync()[0]).toBeCloseTo((0 + 4 + 9) / 3, 6);
    loss.dispose();
  });

  it('refuses a [B, 1] prediction against [B] targets instead of broadcasting', () => {
    const prediction = tf.tensor2d([[1], [2]]);
    const target = tf.tensor1d([1, 2]);
    expect(() => mseLoss(prediction, target)).toThrow(InvalidArgumentError);
    expect(() => mseLoss(prediction, target)).toThrow(
      /\[2\] does not match the prediction's \[2, 1\]/,
    );
    tf.dispose([prediction, target]);
  });
});
