// Runs both scripts as a user would (`tsx`), one epoch per fit, on the real ml-latest-small.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dataDir = process.env['CF_DATA_DIR'];
const hasData = dataDir !== undefined && existsSync(join(dataDir, 'ml-latest-small'));
if (!hasData)
  console.warn(
    `[skip] ${dataDir ? `${dataDir}/ml-latest-small does not exist` : 'CF_DATA_DIR is not set'}: the Node examples need the real ml-latest-small (CI sets CF_DATA_DIR to ../shared/datasets)`,
  );

async function run(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'src', script)],
    {
      cwd: root,
      env: { ...process.env, CF_EXAMPLE_EPOCHS: '1' },
      maxBuffer: 1 << 24,
    },
  );
  return stdout;
}

describe.skipIf(!hasData)('the Node examples on ml-latest-small', () => {
  it('notebook.ts prints the notebook steps, two fit tables and the RMSE beside the baseline', async () => {
    const out = await run('notebook.ts');
    expect(out).toContain('100836 ratings');
    expect(out).toContain('n_users 610, n_movies 9724');
    expect(out).toContain('20167 validation rows');
    expect(out.match(/epoch\s+trn_loss\s+val_loss\s+rmse/g)).toHaveLength(2);
    const [, rmse, baseline] =
      /validation RMSE (\d\.\d+) \(bias baseline (\d\.\d+)\)/.exec(out) ?? [];
    expect(Number(baseline)).toBeCloseTo(0.8824, 3);
    expect(Number(rmse)).toBeLessThan(0.95); // two epochs: close to, not yet under, the baseline
  });

  it('explore.ts prints biases, principal components, similar movies and recommendations', async () => {
    const out = await run('explore.ts');
    for (const section of [
      '## highest movie bias',
      '## lowest movie bias',
      '## principal component 1',
      '## principal component 3',
      '## similar to Toy Story (1995)',
      '## recommendations for user 1',
    ]) {
      expect(out).toContain(section);
    }
    const recommendations = out.split('## recommendations for user 1\n')[1]!.trim().split('\n');
    expect(recommendations).toHaveLength(10);
    expect(recommendations.every((line) => /^\s*\d\.\d{3}\s+\S/.test(line))).toBe(true);
  });
});
