import { chartLayout, niceMax } from './chart-bars';

describe('niceMax', () => {
  it('rounds the top of the scale up to 1, 2 or 5 × 10ⁿ', () => {
    expect([0, 1, 2, 3, 7, 10, 12, 51, 180, 999].map(niceMax)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 100, 200, 1000,
    ]);
  });
});

describe('chartLayout', () => {
  const size = { width: 340, height: 132, left: 30, bottom: 24, top: 8 };
  const days = [
    { date: '2026-06-01', succeeded: 10, declined: 0 },
    { date: '2026-06-02', succeeded: 5, declined: 2 },
    { date: '2026-06-03', succeeded: 0, declined: 0 },
  ];

  it('draws two bars a day, heights in proportion on a round scale, from the baseline', () => {
    const layout = chartLayout(days, size);
    expect(layout.max).toBe(10);
    expect(layout.plot).toEqual({ left: 30, top: 8, width: 306, height: 100 });
    const bars = layout.groups.map((g) => g.bars.map((b) => [b.kind, b.value, b.height]));
    expect(bars).toEqual([
      [
        ['succeeded', 10, 100],
        ['declined', 0, 0],
      ],
      [
        ['succeeded', 5, 50],
        ['declined', 2, 20],
      ],
      [
        ['succeeded', 0, 0],
        ['declined', 0, 0],
      ],
    ]);
    for (const bar of layout.groups.flatMap((g) => g.bars)) expect(bar.y + bar.height).toBe(108);
  });

  it('keeps the bars inside the plot, side by side, in day order', () => {
    const layout = chartLayout(days, size);
    const xs = layout.groups.flatMap((g) => g.bars.map((b) => b.x));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    for (const bar of layout.groups.flatMap((g) => g.bars)) {
      expect(bar.x).toBeGreaterThanOrEqual(30);
      expect(bar.x + bar.width).toBeLessThanOrEqual(336);
    }
    expect(layout.ticks.map((t) => t.value)).toEqual([0, 5, 10]);
  });

  it('gives a tiny value a visible bar, and an empty chart a scale', () => {
    const tiny = chartLayout([{ date: 'd', succeeded: 1000, declined: 1 }], size);
    expect(tiny.groups[0]?.bars[1]?.height).toBe(1);
    const empty = chartLayout([], size);
    expect(empty.groups).toEqual([]);
    expect(empty.max).toBe(1);
  });
});
