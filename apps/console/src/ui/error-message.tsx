import { ApiError, errorMessage } from '../api/api-error';

/** An error as people read it: the API's problem as a sentence, and each invalid field. */
export function ErrorMessage({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fieldErrors : [];
  return (
    <div className={`message message-error ${className ?? ''}`} role="alert">
      <p>{errorMessage(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={`${f.in}:${f.field}:${f.message}`}>
              <strong>{f.field}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A success line beside an action (also read by screen readers); focusable, so focus can land
 * on it once the control that made the change is gone.
 */
export function StatusMessage({
  children,
  ref,
}: {
  children: React.ReactNode;
  ref?: React.Ref<HTMLParagraphElement>;
}) {
  if (!children) return null;
  return (
    <p className="message message-success" role="status" tabIndex={-1} ref={ref}>
      {children}
    </p>
  );
}
