import { EXIT, type CliIO } from '../cli-io.js';
import type { BackendName } from '../backend.js';
import { cliId, loadModelForCommand, withKnownId } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/** `cf similar --model DIR --item ID [-k 10]`: nearest items by cosine over item embeddings. */
export async function similarCommand(
  options: { model: string; item: string; k: number; backend: BackendName; json?: boolean },
  io: CliIO,
): Promise<number> {
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    const itemId = cliId(options.item, '--item');
    const rows = withKnownId(
      () => trained.similarItems(itemId, { k: options.k }),
      'similar can only compare items the model was trained on',
    );
    const title = trained.itemTitles?.get(itemId);
    printRanking(
      io,
      `${options.k} items most similar to ${String(itemId)}${title ? ` (${title})` : ''}:`,
      rows,
      options.json ? { itemId, k: options.k } : undefined,
      'cosine',
    );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}
