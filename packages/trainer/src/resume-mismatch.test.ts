import { describe, expect, it } from 'vitest';
import { resumeMismatch } from './recipes.js';

// Issue 15, item 7: the --resume refusal is a sentence naming what differs, not a JSON dump.
describe('resumeMismatch', () => {
  it('names each differing setting with both values, and the data without dumping its fingerprint', () => {
    const saved = { lr: 0.001, bs: 64, epochs: [5, 10], seed: 42, data: 'a1b2c3d4' };
    const message = resumeMismatch({ recipe: 'notebook', hyperParameters: saved }, 'notebook', {
      ...saved,
      lr: 0.002,
      epochs: [5, 12],
      data: 'ffff0000',
    });
    expect(message).toBe(
      'was written by a run with other settings: lr 0.001 (this run: 0.002); epochs 5, 10 (this run: 5, 12); the data or the split (other ratings, rows or validation fold). Resume with the same data, split and options, or start afresh without --resume',
    );
    expect(message).not.toMatch(/[{}]/);
  });

  it('names another recipe and a setting only one side has', () => {
    expect(resumeMismatch({ recipe: 'fastai', hyperParameters: { wd: 0.1 } }, 'notebook', {})).toBe(
      'was written by a run with other settings: recipe fastai (this run: notebook); wd 0.1 (this run: unset). Resume with the same data, split and options, or start afresh without --resume',
    );
  });
});
