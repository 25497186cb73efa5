import { EXIT, type CliIO } from '../cli-io.js';
import type { BackendName } from '../backend.js';
import { cliId, loadModelForCommand, withKnownId } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/** `cf recommend --model DIR --user ID [-k 10]`: top items the user has not rated. */
export async function recommendCommand(
  options: {
    model: string;
    user: string;
    k: number;
    includeSeen?: boolean;
    backend: BackendName;
    json?: boolean;
  },
  io: CliIO,
): Promise<number> {
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    const userId = cliId(options.user, '--user');
    const rows = withKnownId(
      () => trained.recommend(userId, { k: options.k, excludeSeen: !options.includeSeen }),
      'recommend has no fallback for a new user: fold them in from their ratings with `cf fold-in --model DIR --ratings FILE`',
    );
    printRanking(
      io,
      `top ${options.k} for user ${String(userId)}${options.includeSeen ? '' : ' (items the user rated excluded)'}:`,
      rows,
      options.json ? { userId, k: options.k } : undefined,
      'predicted',
    );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}
