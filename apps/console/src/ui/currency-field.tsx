import { CURRENCIES } from '../format/money';

/** The labelled currency picker of the money forms: every currency the API accepts. */
export function CurrencyField({
  id,
  value,
  onChange,
}: {
  readonly id: string;
  readonly value: string;
  readonly onChange: (currency: string) => void;
}) {
  return (
    <div className="field field-narrow">
      <label htmlFor={id}>Currency</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {CURRENCIES.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
    </div>
  );
}
