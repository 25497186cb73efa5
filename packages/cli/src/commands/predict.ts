import { EXIT, type CliIO } from '../cli-io.js';
import type { BackendName } from '../backend.js';
import { cliId, loadModelForCommand } from './load-model.js';

/** `cf predict --model DIR --user ID --item ID`. */
export async function predictCommand(
  options: {
    model: string;
    user: string;
    item: string;
    unknown: 'error' | 'fallback';
    backend: BackendName;
    json?: boolean;
  },
  io: CliIO,
): Promise<number> {
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    const userId = cliId(options.user, '--user');
    const itemId = cliId(options.item, '--item');
    const prediction = trained.predict(userId, itemId, { unknown: options.unknown });
    const title = trained.itemTitles?.get(itemId);
    if (options.json)
      io.stdout.write(
        JSON.stringify({ userId, itemId, ...prediction, ...(title ? { title } : {}) }) + '\n',
      );
    else
      io.stdout.write(
        `user ${String(userId)}, item ${String(itemId)}${title ? ` (${title})` : ''}: ${prediction.rating.toFixed(3)}${prediction.source === 'model' ? '' : ` (${prediction.source} fallback)`}\n`,
      );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}
