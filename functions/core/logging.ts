/**
 * The logging the product's layers do, as a small interface: a Powertools Logger fits (the Lambdas
 * and the Cloud Functions pass theirs), and so does any structured logger. core/, publish/ and jobs/
 * depend on this, never on Powertools.
 */
export interface StructuredLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
