// Typed client for the JMK Sales API. The types come from openapi.yaml
// (generated into gen/ts/schema.d.ts by `go tool task generate`); requests and
// responses are checked by the TypeScript compiler against the contract.
import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema.js";

export type { Client, ClientOptions, components, Middleware, paths };
export type Schemas = components["schemas"];
export type Lead = Schemas["Lead"];
export type User = Schemas["User"];
export type Problem = Schemas["Problem"];
export type TokenResponse = Schemas["TokenResponse"];
export type JmkClient = Client<paths>;

export interface Options {
  /** Base URL of the API, e.g. "http://localhost:8080". */
  baseUrl: string;
  /** Returns the current access token, or undefined when logged out. */
  accessToken?: () => string | undefined;
  /**
   * Called when the API says the access token has expired or was revoked (a 401 with
   * `WWW-Authenticate: ... error="invalid_token"`): renew it (`POST /api/v1/auth/refresh` with the
   * refresh token, keeping the new pair) and resolve to the new access token, or to undefined to
   * give up (the 401 is then returned). Requests failing at once share one call, since a refresh
   * token is rotated on use and sending a rotated one again ends the session. Where the browser
   * has Web Locks (`navigator.locks`, on HTTPS or localhost), tabs take turns too, and a tab that finds a new token from
   * `accessToken` once its turn comes uses it without calling `refresh`: keep the token pair in
   * storage the tabs share (localStorage) for that. The failed request is sent again, once, with
   * the new token. If `refresh` throws, the request rejects with its error.
   */
  refresh?: () => Promise<string | undefined>;
  /**
   * Other openapi-fetch options (a custom `fetch`, `credentials`, default headers). The token and
   * its renewal live in the client's fetch: a `fetch` passed to a single call replaces it, and
   * that call goes without them.
   */
  client?: Omit<ClientOptions, "baseUrl">;
}

/**
 * The Web Lock the client holds while it renews a token: code that refreshes elsewhere (at
 * start-up, say) should hold it too, `navigator.locks.request(jmkRenewalLock, ...)`.
 */
export const jmkRenewalLock = "jmk-sales-api-token-renewal";

/** Runs fn holding jmkRenewalLock, or at once where there are no Web Locks (plain HTTP off localhost). */
async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  // Typed here rather than as the DOM's LockManager, so that the client type-checks without the DOM library.
  type Locks = { request<R>(name: string, fn: () => Promise<R>): Promise<R> };
  const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
  return locks ? await locks.request(jmkRenewalLock, fn) : fn();
}

/** The calls that take no access token, whose 401 a refresh cannot mend. */
const tokenless = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/register"];

/** Whether a 401 says that the token sent has expired or was revoked (RFC 6750). */
export function isInvalidToken(response: Response): boolean {
  return response.status === 401 && /error="invalid_token"/.test(response.headers.get("WWW-Authenticate") ?? "");
}

/**
 * Creates a client that sends the bearer token on every request and, given `refresh`, renews it.
 * Both happen in the client's fetch, after every middleware: a middleware sees the request
 * without its token, and only the final response (never a 401 that a renewal mended).
 */
export function createJmkClient(opts: Options): JmkClient {
  const custom = opts.client?.fetch;
  // A browser's fetch must be called on the window: fetch.call(options) throws "Illegal invocation".
  const send = (request: Request, init?: RequestInit) =>
    custom ? (custom as (r: Request, i?: RequestInit) => Promise<Response>)(request, init) : globalThis.fetch(request, init);
  let renewing: Promise<string | undefined> | undefined;
  // One renewal at a time in this tab, and, where the browser has Web Locks, across its tabs:
  // a refresh token sent again after its rotation ends the session. Once the lock is held, a
  // token another tab stored meanwhile is taken instead of renewing again.
  const renew = (failed: string, refresh: () => Promise<string | undefined>) =>
    (renewing ??= exclusive(async () => {
      const current = opts.accessToken?.();
      return current && current !== failed ? current : refresh();
    }).finally(() => (renewing = undefined)));

  const fetchWithToken = async (request: Request, init?: RequestInit): Promise<Response> => {
    const token = opts.accessToken?.();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    const path = new URL(request.url).pathname;
    if (!token || !opts.refresh || tokenless.some((p) => path.endsWith(p))) return send(request, init);
    const copy = request.clone(); // fetch consumes the body
    const response = await send(request, init);
    if (!isInvalidToken(response)) return response;
    const renewed = await renew(token, opts.refresh);
    if (!renewed) return response;
    void response.body?.cancel().catch(() => {}); // the 401's body is not needed; failing to drop it is no matter
    copy.headers.set("Authorization", `Bearer ${renewed}`);
    return send(copy, init);
  };
  return createClient<paths>({ ...opts.client, baseUrl: opts.baseUrl, fetch: fetchWithToken });
}

/** The query of `POST /api/v1/leads/import`: `dry_run`, `outcome`. */
export type ImportQuery = NonNullable<paths["/api/v1/leads/import"]["post"]["parameters"]["query"]>;

/**
 * Uploads a CSV file to `POST /api/v1/leads/import`: a `File` from an `<input type="file">`, a
 * `Blob`, or the text itself. It goes as it is, labelled `text/csv` whatever type the browser gave
 * the file (Windows labels `.csv` files `application/vnd.ms-excel`, which the API refuses with
 * 415); the client's default would send it as a JSON string.
 */
export function importLeads(api: JmkClient, file: Blob | string, query?: ImportQuery) {
  return api.POST("/api/v1/leads/import", {
    params: query ? { query } : {},
    body: file as unknown as string, // the spec's text/csv body is typed string; a Blob is sent the same way
    bodySerializer: (body: unknown) => body as NonNullable<RequestInit["body"]>,
    headers: { "Content-Type": "text/csv" },
  });
}
