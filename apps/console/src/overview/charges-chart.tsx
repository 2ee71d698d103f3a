import { useId } from 'react';
import { formatDay } from '../format/time';
import { chartLayout, type ChartDay } from './chart-bars';

const WIDTH = 640;
const HEIGHT = 220;

/**
 * Charges per day as an inline SVG (no chart library): a bar for succeeded and one for declined
 * charges each day. The numbers are in the table after it too, for screen readers and for
 * anyone who wants them exact.
 */
export function ChargesChart({ days }: { days: readonly ChartDay[] }) {
  const titleId = useId();
  const layout = chartLayout(days, { width: WIDTH, height: HEIGHT });
  const succeeded = days.reduce((n, d) => n + d.succeeded, 0);
  const declined = days.reduce((n, d) => n + d.declined, 0);
  // Label every day while they fit, then every n-th.
  const every = Math.max(1, Math.ceil(days.length / 10));
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={titleId}
        preserveAspectRatio="xMidYMid meet"
        data-testid="charges-chart"
      >
        <title id={titleId}>
          {`Charges per day over ${days.length} days: ${succeeded} succeeded, ${declined} declined`}
        </title>
        {layout.ticks.map((tick) => (
          <g key={tick.value}>
            <line
              x1={layout.plot.left}
              x2={layout.plot.left + layout.plot.width}
              y1={tick.y}
              y2={tick.y}
              className="chart-grid"
            />
            <text x={layout.plot.left - 6} y={tick.y + 4} textAnchor="end" className="chart-label">
              {tick.value}
            </text>
          </g>
        ))}
        {layout.groups.map((group, i) => (
          <g key={group.date}>
            {group.bars.map((bar) => (
              <rect
                key={bar.kind}
                x={bar.x}
                y={bar.y}
                width={Math.max(bar.width - 1, 1)}
                height={bar.height}
                className={`chart-bar chart-bar-${bar.kind}`}
              >
                <title>{`${formatDay(group.date)}: ${bar.value} ${bar.kind}`}</title>
              </rect>
            ))}
            {i % every === 0 && (
              <text x={group.center} y={HEIGHT - 6} textAnchor="middle" className="chart-label">
                {formatDay(group.date)}
              </text>
            )}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        <span>
          <span className="swatch swatch-succeeded" aria-hidden="true" /> Succeeded ({succeeded})
        </span>
        <span>
          <span className="swatch swatch-declined" aria-hidden="true" /> Declined ({declined})
        </span>
      </figcaption>
    </figure>
  );
}
