/** A failed label sync, described by status and message only: never a request or its headers. */
export class LabelSyncError extends Error {
  override name = 'LabelSyncError';
  constructor(readonly detail: Record<string, unknown>) {
    super(typeof detail.message === 'string' ? detail.message : 'label sync failed');
  }
}
