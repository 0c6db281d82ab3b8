// A heat map drawn as a table: each cell's background follows its value
// (0..1), so the figures stay readable by screen readers and the bundle
// needs no chart type for it.
export interface HeatTableProps {
  title: string;
  columns: string[];
  rows: { label: string; cells: (number | null)[]; note?: string }[];
  format: (v: number) => string;
  noteLabel?: string;
}

/** Blue scale with text dark or light enough for WCAG AA contrast. */
function shade(v: number): { background: string; color: string } {
  const x = Math.max(0, Math.min(1, v));
  const light = Math.round(97 - x * 62); // 97 % .. 35 % lightness
  return { background: `hsl(215 65% ${light}%)`, color: light < 60 ? '#fff' : '#14213d' };
}

export function HeatTable({ title, columns, rows, format, noteLabel }: HeatTableProps) {
  return (
    <figure class="chart heat">
      <figcaption>{title}</figcaption>
      <div class="heat-scroll">
        <table class="heat-table">
          <thead>
            <tr>
              <th scope="col"></th>
              {noteLabel && <th scope="col">{noteLabel}</th>}
              {columns.map((c) => <th scope="col" key={c}>{c}</th>)}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                {noteLabel && <td>{r.note}</td>}
                {columns.map((c, i) => {
                  const v = r.cells[i];
                  return v === null || v === undefined
                    ? <td key={c} class="heat-empty"></td>
                    : <td key={c} style={shade(v)}>{format(v)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
