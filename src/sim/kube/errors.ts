/** API errors as the API server reports them: a `v1 Status` with a machine-readable reason. */

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The reason the API server pairs with each status code (k8s.io/apimachinery/pkg/api/errors). */
const reasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return reasons[code] ?? 'Unknown';
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = reasonForCode(code),
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  toStatus(): Status {
    return failureStatus(this.code, this.message, this.reason, this.details);
  }
}

export function failureStatus(
  code: number,
  message: string,
  reason = reasonForCode(code),
  details?: StatusDetails,
): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function notFound(resource: string, name: string): KubeError {
  return new KubeError(404, `${resource} "${name}" not found`, 'NotFound', {
    name,
    kind: resource,
  });
}

export function alreadyExists(resource: string, name: string): KubeError {
  return new KubeError(409, `${resource} "${name}" already exists`, 'AlreadyExists', {
    name,
    kind: resource,
  });
}

export function conflict(resource: string, name: string): KubeError {
  return new KubeError(
    409,
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    'Conflict',
    { name, kind: resource },
  );
}

export function invalid(kind: string, name: string, causes: StatusCause[]): KubeError {
  const each = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = each.length === 1 ? (each[0] ?? '') : `[${each.join(', ')}]`;
  return new KubeError(422, `${kind} "${name}" is invalid: ${summary}`, 'Invalid', {
    name,
    kind,
    causes,
  });
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, message, 'BadRequest');
}
