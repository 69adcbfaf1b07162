/**
 * "Did you mean …?" for what people type: a subcommand, a scope. Typos are mostly one letter
 * wrong, missing, extra, or two letters swapped (`stauts`), so the distance counts a swap of
 * neighbours as one edit (optimal string alignment) rather than two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows suffice: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * The candidate nearest to `typed`, when it is near enough to be a typo of it: at most
 * `maxDistance(candidate)` edits away. Ties go to the earlier candidate, so callers list the
 * likelier ones first. Candidates whose length alone puts them out of reach are skipped
 * without computing a distance, which keeps a long typed word cheap.
 */
export function closestMatch(typed: string, candidates: Iterable<string>, maxDistance: (candidate: string) => number): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const limit = Math.min(maxDistance(candidate), bestDistance - 1);
    if (Math.abs(candidate.length - typed.length) > limit) continue;
    const distance = editDistance(typed, candidate);
    if (distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
