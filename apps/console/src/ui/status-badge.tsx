const LABELS: Readonly<Record<string, string>> = {
  pending: 'Pending',
  trialing: 'Trialing',
  active: 'Active',
  past_due: 'Past due',
  paused: 'Paused',
  canceled: 'Canceled',
  completed: 'Completed',
  issued: 'Available',
  redeemed: 'Redeemed',
  sent: 'Sent',
  failed: 'Failed',
  succeeded: 'Succeeded',
  declined: 'Declined',
};

/** `past_due` → `Past due`. */
export function statusLabel(status: string): string {
  return LABELS[status] ?? status.replace(/_/g, ' ');
}

/** A status in words, colour only as a second cue. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{statusLabel(status)}</span>;
}
