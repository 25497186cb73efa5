import { InvalidArgumentError } from './errors.js';
import type { RatingsTable } from './ratings-table.js';
import type { Split } from './split.js';

/** What {@link describeSplit} reports about a split. */
export interface SplitDescription {
  /** Training rows. */
  nTrain: number;
  /** Validation rows. */
  nValid: number;
  /** Validation rows whose user has no training row (the model never learned that user). */
  validRowsWithUnseenUser: number;
  /** Validation rows whose item has no training row. */
  validRowsWithUnseenItem: number;
  /** Validation rows whose user or item (or both) has no training row. */
  validRowsWithUnseenUserOrItem: number;
  /** Distinct users that appear in validation but not in training. */
  unseenUsers: number;
  /** Distinct items that appear in validation but not in training. */
  unseenItems: number;
}

/**
 * Counts how many validation rows have a user or an item unseen in training: those are rows a
 * model can only answer with a fallback (cold start). Throws {@link InvalidArgumentError} when a
 * row index is outside the table.
 */
export function describeSplit(table: RatingsTable, split: Split): SplitDescription {
  const { userIndex, itemIndex } = table;
  const n = userIndex.length;
  const checkRow = (row: number, side: string): void => {
    if (row < 0 || row >= n) {
      throw new InvalidArgumentError(
        'split',
        `${side} row ${row} is outside 0..${n - 1} of ${table.source}`,
      );
    }
  };
  const userInTrain = new Uint8Array(table.userIds.size);
  const itemInTrain = new Uint8Array(table.itemIds.size);
  for (const row of split.train) {
    checkRow(row, 'train');
    userInTrain[userIndex[row]!] = 1;
    itemInTrain[itemIndex[row]!] = 1;
  }
  const description: SplitDescription = {
    nTrain: split.train.length,
    nValid: split.valid.length,
    validRowsWithUnseenUser: 0,
    validRowsWithUnseenItem: 0,
    validRowsWithUnseenUserOrItem: 0,
    unseenUsers: 0,
    unseenItems: 0,
  };
  // In the valid pass a 2 marks a user/item already counted as unseen.
  for (const row of split.valid) {
    checkRow(row, 'valid');
    const user = userIndex[row]!;
    const item = itemIndex[row]!;
    const userSeen = userInTrain[user] === 1;
    const itemSeen = itemInTrain[item] === 1;
    if (!userSeen) {
      description.validRowsWithUnseenUser++;
      if (userInTrain[user] === 0) {
        description.unseenUsers++;
        userInTrain[user] = 2;
      }
    }
    if (!itemSeen) {
      description.validRowsWithUnseenItem++;
      if (itemInTrain[item] === 0) {
        description.unseenItems++;
        itemInTrain[item] = 2;
      }
    }
    if (!userSeen || !itemSeen) description.validRowsWithUnseenUserOrItem++;
  }
  return description;
}
