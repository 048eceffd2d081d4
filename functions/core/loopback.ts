/**
 * Where plain http may go: only to this machine (a test, the local stack), where no one on a
 * network path can answer in the server's place. Everything else must be https.
 */

/** Loopback host names as `URL.hostname` spells them. */
const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL names this machine. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

/** Whether a URL is https, or plain http to a loopback host. */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
}
