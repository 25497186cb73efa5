import Table from 'cli-table3';
import type { RawId } from '@cf/data';
import type { CliIO } from '../cli-io.js';

/** Prints a ranked list of items as a table, or as JSON. */
export function printRanking(
  io: CliIO,
  heading: string,
  rows: { itemId: RawId; score: number; title?: string }[],
  json: Record<string, unknown> | undefined,
  scoreName = 'score',
): void {
  if (json) {
    io.stdout.write(JSON.stringify({ ...json, items: rows }) + '\n');
    return;
  }
  io.stdout.write(heading + '\n');
  const table = new Table({
    head: ['#', 'item', scoreName, 'title'],
    style: { head: [], border: [] },
  });
  rows.forEach((r, k) => table.push([k + 1, String(r.itemId), r.score.toFixed(3), r.title ?? '']));
  io.stdout.write(table.toString() + '\n');
}
