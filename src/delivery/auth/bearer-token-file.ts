/**
 * `authorization: Bearer <token>` with the token read from a file that a secret manager
 * rotates (Vault agent, a Kubernetes secret volume, a CSI driver).
 *
 * How a change is noticed: before a request, at most once per CHECK_INTERVAL_MS, the path is
 * stat()ed and the file is read again only when its identity or timestamps changed. stat()
 * follows symbolic links on every call, so the Kubernetes way of updating a secret volume
 * (write a new directory, then atomically swap the `..data` symlink the file name points
 * through) is seen like any other replacement. fs.watch is not used: it watches the inode
 * the path pointed to when the watch started, which after such a swap is a deleted file
 * that never changes again, and inotify behaves differently again on network and overlay
 * filesystems.
 *
 * A 401 from the endpoint re-reads the file at once (whatever stat says: a same-second,
 * same-size rewrite leaves no trace in it) and the request is retried once if the token
 * changed. A file that is missing, empty or unreadable for a moment (halfway through a
 * non-atomic rewrite) keeps the last good token in use.
 */
import { readFile, stat } from 'node:fs/promises';
import { headerValueProblem } from '../../config/http-headers.ts';
import type { EndpointAuth } from './endpoint-auth.ts';

/** How stale a token may be after the file changed; a stat() a second costs nothing. */
export const CHECK_INTERVAL_MS = 1000;
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export class BearerTokenFile implements EndpointAuth {
  readonly #file: string;
  readonly #intervalMs: number;
  #token: string;
  /** Identity of the file the token was read from; undefined = read it on the next check. */
  #stamp: string | undefined;
  #checkedAt = -Infinity;
  #checking: Promise<void> | undefined;

  /** `token` is the value read when the configuration was loaded. */
  constructor(file: string, token: string, intervalMs = CHECK_INTERVAL_MS) {
    this.#file = file;
    this.#token = token;
    this.#intervalMs = intervalMs;
  }

  async authorization(): Promise<string> {
    if (performance.now() - this.#checkedAt >= this.#intervalMs) await this.#check(false);
    return this.#header();
  }

  async rejected(used: string): Promise<boolean> {
    await this.#check(true);
    return this.#header() !== used;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #header(): string {
    return `Bearer ${this.#token}`;
  }

  /** One check at a time; concurrent requests wait for the same one. */
  #check(force: boolean): Promise<void> {
    this.#checking ??= this.#reload(force).finally(() => {
      this.#checkedAt = performance.now();
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #reload(force: boolean): Promise<void> {
    try {
      const info = await stat(this.#file);
      const stamp = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
      if (!force && stamp === this.#stamp) return;
      if (!info.isFile() || info.size > MAX_TOKEN_FILE_BYTES) return;
      const token = (await readFile(this.#file, 'utf8')).replace(/\r?\n$/, '');
      // A torn or garbled write is skipped; the next change of the file is read again.
      if (token === '' || headerValueProblem(token) !== undefined) return;
      this.#token = token;
      this.#stamp = stamp;
    } catch {
      // Missing or unreadable for now: keep the last good token.
    }
  }
}
