import { expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitByCvIdxs } from '@cf/data';
import { fileSystemIO } from '@cf/model/node';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { runRecipe, type RecipeName } from './recipes.js';
import {
  checkpointFromArtifacts,
  checkpointToArtifacts,
  CheckpointError,
  type TrainingCheckpoint,
} from './training-checkpoint.js';

describeEachBackend('training checkpoints', () => {
  const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 35, density: 0.4, seed: 8 });
  const split = splitByCvIdxs(table, { seed: 2 });

  it.each([
    ['notebook', [2, 2]],
    ['fastai', [4]],
  ] as [RecipeName, number[]][])(
    'a %s run resumed from a mid-run checkpoint ends exactly where the uninterrupted run does',
    async (recipe, epochs) => {
      const options = { epochs, nFactors: 6, batchSize: 32, seed: 5 };
      const checkpoints: TrainingCheckpoint[] = [];
      const full = await runRecipe(recipe, table, split, {
        ...options,
        onCheckpoint: (c) => void checkpoints.push(c),
      });
      expect(checkpoints).toHaveLength(4);
      // resume from the checkpoints after the 1st and the 2nd epoch (mid-fit for both recipes at
      // the 1st), through an encode/decode round trip
      for (const at of [0, 1]) {
        const saved = checkpointFromArtifacts(checkpointToArtifacts(checkpoints[at]!), 'memory');
        const resumed = await runRecipe(recipe, table, split, { ...options, resume: saved });
        for (const p of full.model.parameters) {
          const q = resumed.model.parameters.find((x) => x.name === p.name)!;
          expect(q.values).toEqual(p.values);
        }
        expect(resumed.rmse).toBe(full.rmse);
        const rows = resumed.fits.flat();
        const fullRows = full.fits.flat();
        expect(rows.map((r) => r.epoch)).toEqual(fullRows.map((r) => r.epoch));
        expect(rows.map((r) => r.valLoss)).toEqual(fullRows.map((r) => r.valLoss));
        // the smoothed training loss continues too (rebuilt from the saved rows: float rounding only)
        rows.forEach((r, k) => expect(r.trainLoss).toBeCloseTo(fullRows[k]!.trainLoss, 10));
      }
    },
  );

  it('weightParts: one buffer per array (no concatenated copy), the same file and the same checkpoint back', async () => {
    const checkpoints: TrainingCheckpoint[] = [];
    await runRecipe('fastai', table, split, {
      epochs: [1],
      nFactors: 4,
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    const checkpoint = checkpoints[0]!;
    const parts = checkpointToArtifacts(checkpoint, { weightParts: true });
    const whole = checkpointToArtifacts(checkpoint);
    expect(Array.isArray(parts.weightData)).toBe(true);
    // the checkpoint's own arrays, not copies
    expect((parts.weightData as ArrayBuffer[])[0]).toBe(
      Object.values(checkpoint.parameters)[0]!.buffer,
    );
    expect(checkpointFromArtifacts(parts, 'parts')).toEqual(
      checkpointFromArtifacts(whole, 'whole'),
    );
    const root = mkdtempSync(join(tmpdir(), 'cf-checkpoint-'));
    try {
      await fileSystemIO(join(root, 'a')).save!(parts);
      await fileSystemIO(join(root, 'b')).save!(whole);
      const names = readdirSync(join(root, 'a')).sort();
      expect(names).toEqual(readdirSync(join(root, 'b')).sort());
      for (const name of names)
        expect(readFileSync(join(root, 'a', name))).toEqual(readFileSync(join(root, 'b', name)));
      const loaded = await fileSystemIO(join(root, 'a')).load!();
      expect(checkpointFromArtifacts(loaded, 'disk')).toEqual(checkpoint);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("checkpointArrays 'live' hands over the model's and the optimizer's own arrays, and weightParts 'views' writes them uncopied into the same files as copies give", async () => {
    const root = mkdtempSync(join(tmpdir(), 'cf-checkpoint-live-'));
    try {
      const options = { epochs: [2], nFactors: 4, batchSize: 32, seed: 3 };
      const copies: TrainingCheckpoint[] = [];
      const copied = await runRecipe('fastai', table, split, {
        ...options,
        onCheckpoint: (c) => void copies.push(c),
      });
      let epoch = 0;
      const held: Float32Array[][] = [];
      const live = await runRecipe('fastai', table, split, {
        ...options,
        checkpointArrays: 'live',
        onCheckpoint: async (c) => {
          const artifacts = checkpointToArtifacts(c, { weightParts: 'views' });
          // the arrays themselves, in file order: parameters, then each parameter's moments
          expect(artifacts.weightData).toEqual([
            ...Object.values(c.parameters),
            ...Object.values(c.optimizerState).flat(),
          ]);
          for (const view of artifacts.weightData)
            expect(artifacts.weightData.filter((v) => v === view)).toHaveLength(1);
          held.push(Object.values(c.parameters));
          await fileSystemIO(join(root, `live-${epoch}`)).save!(artifacts);
          // the same checkpoint through one concatenated copy
          await fileSystemIO(join(root, `copy-${epoch}`)).save!(checkpointToArtifacts(c));
          epoch++;
        },
      });
      expect(epoch).toBe(2);
      // no copies: the same arrays both epochs, and they are the model's own
      expect(held[1]).toEqual(held[0]);
      held[0]!.forEach((a, k) => expect(a).toBe(held[1]![k]));
      for (const p of live.model.parameters)
        expect(held[0]!.some((a) => a === p.values)).toBe(true);
      expect(live.rmse).toBe(copied.rmse);
      for (const at of [0, 1]) {
        const names = readdirSync(join(root, `live-${at}`)).sort();
        expect(names).toEqual(readdirSync(join(root, `copy-${at}`)).sort());
        for (const name of names)
          expect(readFileSync(join(root, `live-${at}`, name))).toEqual(
            readFileSync(join(root, `copy-${at}`, name)),
          );
        // and the weights file is the one the copying run writes (its name is the CRC-32)
        await fileSystemIO(join(root, `copies-${at}`)).save!(
          checkpointToArtifacts(copies[at]!, { weightParts: true }),
        );
        const weights = names.find((n) => n.startsWith('weights.'))!;
        expect(readFileSync(join(root, `copies-${at}`, weights))).toEqual(
          readFileSync(join(root, `live-${at}`, weights)),
        );
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a checkpoint of another run, and a damaged one', async () => {
    const checkpoints: TrainingCheckpoint[] = [];
    await runRecipe('fastai', table, split, {
      epochs: [1],
      nFactors: 4,
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    const checkpoint = checkpoints[0]!;
    await expect(
      runRecipe('fastai', table, split, { epochs: [1], nFactors: 4, lr: 0.1, resume: checkpoint }),
    ).rejects.toThrow(CheckpointError);
    // same options, another split: its validation rows were training rows of the checkpoint
    const otherSplit = splitByCvIdxs(table, { seed: 2, cvIdx: 3 });
    await expect(
      runRecipe('fastai', table, otherSplit, { epochs: [1], nFactors: 4, resume: checkpoint }),
    ).rejects.toThrow(/same data, split and options/);
    const artifacts = checkpointToArtifacts(checkpoint);
    const truncated = {
      ...artifacts,
      weightData: (artifacts.weightData as ArrayBuffer).slice(0, 100),
    };
    expect(() => checkpointFromArtifacts(truncated, 'ckpt')).toThrow(/truncated or edited/);
    const otherVersion = {
      ...artifacts,
      modelTopology: { ...(artifacts.modelTopology as object), formatVersion: 99 },
    };
    expect(() => checkpointFromArtifacts(otherVersion, 'ckpt')).toThrow(/format version 99/);
  });
});
