/**
 * The geometry of the charges chart: one group per day, a bar for succeeded and one for declined
 * charges, on a scale whose top is a round number. Pure, so it is tested without a browser.
 */

export interface ChartDay {
  readonly date: string;
  readonly succeeded: number;
  readonly declined: number;
}

export interface ChartBar {
  readonly kind: 'succeeded' | 'declined';
  readonly value: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface ChartGroup {
  readonly date: string;
  /** The centre of the group, for its label. */
  readonly center: number;
  readonly bars: readonly ChartBar[];
}

export interface ChartLayout {
  readonly groups: readonly ChartGroup[];
  /** The value at the top of the plot. */
  readonly max: number;
  /** Values of the horizontal grid lines, with their y. */
  readonly ticks: readonly { readonly value: number; readonly y: number }[];
  readonly plot: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1): 7 → 10, 12 → 20, 0 → 1. */
export function niceMax(value: number): number {
  if (!(value > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

export interface ChartSize {
  readonly width: number;
  readonly height: number;
  /** Room for the axis labels. */
  readonly left?: number;
  readonly bottom?: number;
  readonly top?: number;
}

export function chartLayout(days: readonly ChartDay[], size: ChartSize): ChartLayout {
  const left = size.left ?? 32;
  const bottom = size.bottom ?? 24;
  const top = size.top ?? 8;
  const plot = { left, top, width: size.width - left - 4, height: size.height - top - bottom };
  const max = niceMax(Math.max(0, ...days.map((d) => Math.max(d.succeeded, d.declined))));
  const slot = days.length > 0 ? plot.width / days.length : plot.width;
  const gap = slot * 0.2;
  const barWidth = (slot - gap) / 2;
  const heightOf = (value: number) =>
    value <= 0 ? 0 : Math.max(1, (Math.min(value, max) / max) * plot.height);
  const groups = days.map((day, i): ChartGroup => {
    const x0 = plot.left + i * slot + gap / 2;
    const bar = (kind: ChartBar['kind'], value: number, index: number): ChartBar => {
      const height = heightOf(value);
      return {
        kind,
        value,
        x: x0 + index * barWidth,
        y: plot.top + plot.height - height,
        width: barWidth,
        height,
      };
    };
    return {
      date: day.date,
      center: plot.left + i * slot + slot / 2,
      bars: [bar('succeeded', day.succeeded, 0), bar('declined', day.declined, 1)],
    };
  });
  const ticks = [0, max / 2, max]
    .filter((value, i, all) => all.indexOf(value) === i && Number.isInteger(value))
    .map((value) => ({ value, y: plot.top + plot.height - (value / max) * plot.height }));
  return { groups, max, ticks, plot };
}
