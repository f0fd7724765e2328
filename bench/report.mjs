// Turning the rounds into figures: medians, a table per case, the ratios and
// the targets. Medians, because one slow round (a page-cache miss, another
// job on the engine) should not move the result; min and max show the spread.

export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Figures of one contender over the rounds; failed rounds are left out. */
export function summarize(results) {
  const ok = results.filter((r) => r.ok);
  const seconds = ok.map((r) => r.seconds);
  const defined = (values) => values.filter((v) => v !== undefined);
  return {
    runs: results.length,
    succeeded: ok.length,
    medianSeconds: median(seconds),
    minSeconds: seconds.length ? Math.min(...seconds) : undefined,
    maxSeconds: seconds.length ? Math.max(...seconds) : undefined,
    medianPeakRssMb: median(defined(ok.map((r) => r.peakRssMb))),
    medianLogLines: median(defined(ok.map((r) => r.logLines))),
    maxLogLines: Math.max(...defined(ok.map((r) => r.logLines)), -Infinity),
    mounted: results.reduce((sum, r) => sum + r.mounted, 0),
  };
}

const fixed = (digits) => (value) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
const seconds3 = fixed(3);
const mb1 = fixed(1);
const whole = fixed(0);

/** Prints the table of one case, then what failed, if anything did. */
export function printTable(caseName, summaries, failures) {
  const header = [
    'contender',
    'ok runs',
    'median s',
    'min s',
    'max s',
    'peak RSS MB',
    'log lines',
    'mounts',
  ];
  const rows = Object.entries(summaries).map(([name, s]) => [
    name,
    `${s.succeeded}/${s.runs}`,
    seconds3(s.medianSeconds),
    seconds3(s.minSeconds),
    seconds3(s.maxSeconds),
    mb1(s.medianPeakRssMb),
    s.medianLogLines === undefined
      ? '-'
      : `${whole(s.medianLogLines)} (max ${whole(s.maxLogLines)})`,
    String(s.mounted),
  ]);
  console.log(`\n== ${caseName}: medians over the successful rounds ==`);
  printAligned([header, ...rows]);
  if (rows.some((row) => row[7] !== '0')) {
    console.log(
      'WARNING: some pushes mounted blobs instead of uploading them; their times are not comparable.',
    );
  }
  for (const failure of failures) {
    console.log(
      `FAILED ${failure.contender}, round ${failure.round}: ${failure.error}`,
    );
  }
}

function printAligned(rows) {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length)),
  );
  for (const row of rows) {
    console.log(
      row
        .map((cell, i) =>
          i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
        )
        .join('  ')
        .trimEnd(),
    );
  }
}

/**
 * @typedef {object} Target
 * @property {string} label
 * @property {number | undefined} value
 * @property {number} limit the value must be <= limit
 * @property {(value: number) => string} format
 */

/** Prints figures against their targets: PASS, MISS, or n/a without data. */
export function printTargets(/** @type {Target[]} */ targets) {
  for (const target of targets) {
    const known = target.value !== undefined && Number.isFinite(target.value);
    const verdict = !known
      ? 'n/a '
      : target.value <= target.limit
        ? 'PASS'
        : 'MISS';
    const value = known ? target.format(target.value) : 'no data';
    console.log(
      `  ${verdict}  ${target.label}: ${value} (target <= ${target.format(target.limit)})`,
    );
  }
}

export const formats = {
  ms: (v) => `${v >= 0 ? '+' : ''}${v.toFixed(0)} ms`,
  ratio: (v) => `${v.toFixed(3)}x`,
  mb: (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} MB`,
  lines: (v) => `${v.toFixed(0)} lines`,
};
