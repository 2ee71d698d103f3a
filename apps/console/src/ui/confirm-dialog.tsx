/**
 * A modal confirmation in a native <dialog>: focus moves into it (its first field, else the
 * safe choice), Escape or the dismiss button closes it, and focus returns to what opened it.
 */
import { useEffect, useId, useRef, type FormEvent, type ReactNode, type RefObject } from 'react';
import { ErrorMessage } from './error-message';

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly title: string;
  readonly confirmLabel: string;
  readonly dismissLabel?: string;
  readonly busy?: boolean;
  readonly error?: unknown;
  /** `danger`: the confirm button says the change cannot be undone. */
  readonly tone?: 'danger' | 'default';
  readonly onConfirm: () => void;
  readonly onClose: () => void;
  /** Where focus goes when the dialog closes, if set and on the page (default: its opener). */
  readonly returnFocusTo?: RefObject<HTMLElement | null> | undefined;
  readonly children?: ReactNode;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const {
    open,
    title,
    confirmLabel,
    dismissLabel = 'Go back',
    busy = false,
    error,
    tone = 'default',
  } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const dismissRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  const returnFocusTo = useRef(props.returnFocusTo);
  returnFocusTo.current = props.returnFocusTo;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      // jsdom has no showModal: the attribute is what it renders.
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      const field = dialog.querySelector<HTMLElement>('input, select, textarea');
      (field ?? dismissRef.current)?.focus();
    } else if (!open && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
      // After a change, where its result is shown (what opened the dialog may be gone: Pause
      // became Resume); otherwise back to what opened it.
      const back = returnFocusTo.current?.current ?? opener.current;
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    }
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Escape: the browser closes the dialog; the parent's state must follow.
    const cancel = (event: Event) => {
      event.preventDefault();
      onClose.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy) props.onConfirm();
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId}>
      {open && (
        <form onSubmit={submit} className="dialog-body">
          <h2 id={titleId}>{title}</h2>
          {props.children}
          <ErrorMessage error={error} />
          <div className="actions">
            <button
              type="button"
              ref={dismissRef}
              className="button"
              onClick={() => props.onClose()}
            >
              {dismissLabel}
            </button>
            <button
              type="submit"
              className={`button ${tone === 'danger' ? 'button-danger' : 'button-primary'}`}
              disabled={busy}
              aria-busy={busy}
            >
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
