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
/** The problem types the API sends, for a `switch` the compiler checks. */
export type ProblemType = Problem["type"];
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
   * token is rotated on use and sending a rotated one again ends the session. Renewals take turns
   * under `withRenewalLock`: every client in the page (two made by a hot reload, say), and, where
   * the browser has Web Locks (`navigator.locks`, on HTTPS or localhost), every tab. A client that
   * finds a new token from `accessToken` once its turn comes uses it without calling `refresh`:
   * keep the token pair in storage the clients and tabs share (localStorage) for that. The failed
   * request is sent again, once, with the new token. If `refresh` throws, the request rejects with
   * its error. `refresh` runs holding the lock: it must not take it again (it would wait for
   * itself).
   */
  refresh?: () => Promise<string | undefined>;
  /**
   * The name of the turns this client's renewals take (`withRenewalLock`'s `name`), by default
   * `jmkRenewalLock`. Clients sharing a token pair must share it; outside a browser (a server
   * rendering for many users), give each user's token pair a name of its own, so that one
   * user's renewal never waits for another's.
   */
  renewalLock?: string;
  /**
   * Other openapi-fetch options (a custom `fetch`, `credentials`, default headers). The token and
   * its renewal live in the client's fetch: a `fetch` passed to a single call replaces it, and
   * that call goes without them.
   */
  client?: Omit<ClientOptions, "baseUrl">;
}

/** The default name of the turns renewals take (`withRenewalLock`), and of their Web Lock. */
export const jmkRenewalLock = "jmk-sales-api-token-renewal";

/** The turns taken where there are no Web Locks (plain HTTP off localhost, Node), by name. */
const localTurns = new Map<string, Promise<unknown>>();

/**
 * Runs fn when no other token renewal of the same name runs: the clients' own, and any other
 * code's that renews through this (at start-up, say). It holds the Web Lock of that name, so tabs
 * take turns too; where there are no Web Locks, it takes turns within this page (or process).
 */
export async function withRenewalLock<T>(fn: () => Promise<T>, name: string = jmkRenewalLock): Promise<T> {
  // Typed here rather than as the DOM's LockManager, so that the client type-checks without the DOM library.
  type Locks = { request<R>(name: string, fn: () => Promise<R>): Promise<R> };
  const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks;
  if (locks) return await locks.request(name, () => fn()); // fn gets no Lock argument
  const turn = (localTurns.get(name) ?? Promise.resolve()).then(() => fn());
  const settled = turn.catch(() => {}); // a failed renewal does not stop the next one
  localTurns.set(name, settled);
  void settled.then(() => {
    if (localTurns.get(name) === settled) localTurns.delete(name); // nothing queued behind it
  });
  return turn;
}

/** The calls that take no access token, whose 401 a refresh cannot mend. */
const tokenless = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/register"];

/** A copy of headers with the bearer token, leaving the caller's request as it was. */
function withAuthorization(headers: Headers, token: string): Headers {
  const out = new Headers(headers);
  out.set("Authorization", `Bearer ${token}`);
  return out;
}

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
  // One renewal at a time in this page, and, where the browser has Web Locks, across its tabs:
  // a refresh token sent again after its rotation ends the session. Once the lock is held, a
  // token another client or tab stored meanwhile is taken instead of renewing again.
  const renew = (failed: string, refresh: () => Promise<string | undefined>) =>
    (renewing ??= withRenewalLock(async () => {
      const current = opts.accessToken?.();
      return current && current !== failed ? current : refresh();
    }, opts.renewalLock).finally(() => (renewing = undefined)));

  const fetchWithToken = async (request: Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (tokenless.some((p) => path.endsWith(p))) return send(request, init); // no token to give away
    const token = opts.accessToken?.();
    if (!token) return send(request, init);
    // The token goes on a copy (fetch consumes its body): openapi-fetch hands this request to the
    // middleware again with the response, which must not see the token.
    const withToken = (t: string) => new Request(request.clone(), { headers: withAuthorization(request.headers, t) });
    if (!opts.refresh) {
      // No retry to keep the body for: the request is handed on, not copied (a copy would hold a
      // second buffer of an upload).
      return send(new Request(request, { headers: withAuthorization(request.headers, token) }), init);
    }
    const response = await send(withToken(token), init);
    if (!isInvalidToken(response)) return response;
    const renewed = await untilAborted(renew(token, opts.refresh), request.signal);
    if (!renewed) return response;
    void response.body?.cancel().catch(() => {}); // the 401's body is not needed; failing to drop it is no matter
    return send(withToken(renewed), init);
  };
  return createClient<paths>({ ...opts.client, baseUrl: opts.baseUrl, fetch: fetchWithToken });
}

/**
 * p, or its request's abort: a caller that gives up stops waiting for a renewal, which goes on
 * (the server may already have rotated the token).
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    // Handled first, whatever the signal: a renewal that fails later must not go unhandled.
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
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

/** The query of `GET /api/v1/leads/export`: the list's filters, `sort` and `format`. */
export type ExportQuery = NonNullable<paths["/api/v1/leads/export"]["get"]["parameters"]["query"]>;

/**
 * Downloads the leads matching the list's filters as CSV from `GET /api/v1/leads/export`, as text
 * or as a Blob (to save with a download link). The file is CSV, not JSON: the client's default
 * would try to parse it as JSON and fail.
 */
export function exportLeads(api: JmkClient, query: ExportQuery | undefined, as: "text"): Promise<ExportResult<string>>;
export function exportLeads(api: JmkClient, query: ExportQuery | undefined, as: "blob"): Promise<ExportResult<Blob>>;
export function exportLeads(api: JmkClient, query: ExportQuery | undefined, as: "text" | "blob"): Promise<ExportResult<string | Blob>>;
export async function exportLeads(api: JmkClient, query: ExportQuery | undefined, as: "text" | "blob"): Promise<ExportResult<string | Blob>> {
  const r = await api.GET("/api/v1/leads/export", { params: query ? { query } : {}, parseAs: as });
  const out: ExportResult<string | Blob> = { response: r.response };
  const problem = problemOf(r);
  if (problem) out.error = problem;
  else if (r.data !== undefined) out.data = r.data as string | Blob;
  return out;
}

/** What `exportLeads` resolves to: the file, or (with any failure) the problem, with the response. */
export interface ExportResult<T> {
  data?: T;
  error?: Problem;
  response: Response;
}

/**
 * The problem of a failed call, or undefined when it succeeded. An error body that is not
 * problem+json (a proxy's HTML error page, say) comes back as a problem of type `about:blank`
 * with the response's status (and `request_id` empty unless the API's X-Request-ID came
 * through), so that a caller has one shape to handle.
 */
export function problemOf(r: { error?: unknown; response: Response }): Problem | undefined {
  if (r.response.ok) return undefined;
  const e = r.error;
  if (typeof e === "object" && e !== null && typeof (e as Problem).type === "string" && typeof (e as Problem).status === "number") {
    return e as Problem;
  }
  const { status, statusText, url, headers } = r.response;
  let instance = "";
  try {
    instance = new URL(url).pathname;
  } catch {
    // a response made up in a test has no URL
  }
  return {
    type: "about:blank",
    title: statusText || `HTTP ${status}`,
    status,
    detail: `HTTP ${status} with a body that is not a problem (from a proxy in between, say)`,
    instance,
    request_id: headers.get("X-Request-ID") ?? "",
  };
}
