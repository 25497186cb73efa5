/** 40 users × 30 items of a rank-2 taste model, every third pair rated (deterministic). */
export function syntheticCsv(): string {
  const lines = ['userId,movieId,rating,timestamp'];
  for (let u = 1; u <= 40; u++)
    for (let i = 1; i <= 30; i++) {
      if ((u * 7 + i * 5) % 3 !== 0) continue;
      const taste = Math.sin(u) * Math.cos(i) + 0.5 * Math.cos(u * 0.3) * Math.sin(i * 0.7);
      const rating = Math.min(5, Math.max(0.5, Math.round((3 + 1.5 * taste) * 2) / 2));
      lines.push(`${u},${i},${rating},${1_000_000 + u * 100 + i}`);
    }
  return lines.join('\n') + '\n';
}
