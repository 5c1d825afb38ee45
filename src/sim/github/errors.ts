/** GitHub's error answers: `{ message, documentation_url, status }` with an HTTP status. */

export const DOCS_URL = 'https://docs.github.com/rest';

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly documentationUrl: string = DOCS_URL,
    /** GitHub's 422 answers list what was wrong with the body. */
    readonly errors?: unknown[],
  ) {
    super(message);
    this.name = 'GitHubError';
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      documentation_url: this.documentationUrl,
      status: String(this.status),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const notFound = (): GitHubError => new GitHubError(404, 'Not Found');
export const badCredentials = (): GitHubError => new GitHubError(401, 'Bad credentials');
export const notAccessible = (): GitHubError =>
  new GitHubError(403, 'Resource not accessible by integration');

export function invalid(field: string, problem: string): GitHubError {
  return new GitHubError(422, 'Invalid request.', {}, DOCS_URL, [
    { resource: 'Request', field, code: 'invalid', message: `${field} ${problem}` },
  ]);
}
