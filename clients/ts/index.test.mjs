// Runtime tests of the client wrapper (node --test), against a fake fetch:
// the token renewal must call refresh once for requests failing together and
// send each failed request again, body included.
import assert from "node:assert/strict";
import test from "node:test";
import { createJmkClient, exportLeads, importLeads, problemOf, withRenewalLock } from "./.test-build/index.js";

const expired = () =>
  new Response(JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401 }), {
    status: 401,
    headers: { "Content-Type": "application/problem+json", "WWW-Authenticate": 'Bearer realm="jmk", error="invalid_token"' },
  });

/** A server that takes only `Bearer new` and echoes what it got. */
function fakeServer() {
  const seen = [];
  const fetch = async (request) => {
    const auth = request.headers.get("Authorization");
    const body = request.method === "GET" ? null : await request.text();
    seen.push({ path: new URL(request.url).pathname + new URL(request.url).search, auth, body,
      type: request.headers.get("Content-Type") });
    if (auth !== "Bearer new") return expired();
    return new Response(JSON.stringify({ auth, body }), { status: 200, headers: { "Content-Type": "application/json" } });
  };
  return { fetch, seen };
}

/** Clients sharing one stored token pair, as tabs or a page's clients do; state counts the refreshes. */
function sharing(server) {
  const state = { stored: "old", refreshes: 0 };
  const make = () =>
    createJmkClient({
      baseUrl: "http://api.test",
      accessToken: () => state.stored,
      refresh: async () => {
        state.refreshes++;
        await new Promise((r) => setTimeout(r, 10));
        return (state.stored = "new");
      },
      client: { fetch: server.fetch },
    });
  return { make, state };
}

function client(server, refresh) {
  let token = "old";
  let refreshes = 0;
  const api = createJmkClient({
    baseUrl: "http://api.test",
    accessToken: () => token,
    refresh: refresh ?? (async () => {
      refreshes++;
      await new Promise((r) => setTimeout(r, 10));
      token = "new";
      return token;
    }),
    client: { fetch: server.fetch },
  });
  return { api, refreshes: () => refreshes };
}

test("requests failing together share one refresh and are sent again", async () => {
  const server = fakeServer();
  const { api, refreshes } = client(server);
  const [a, b, c] = await Promise.all([
    api.GET("/api/v1/auth/me"),
    api.GET("/api/v1/stats/summary"),
    api.POST("/api/v1/leads", { body: { name: "Rita Almeida" } }),
  ]);
  assert.equal(refreshes(), 1);
  for (const r of [a, b, c]) assert.equal(r.response.status, 200);
  assert.equal(c.data.body, JSON.stringify({ name: "Rita Almeida" }));
  assert.equal(server.seen.filter((s) => s.auth === "Bearer new").length, 3);
});

test("a request after the renewal uses the new token at once", async () => {
  const server = fakeServer();
  const { api, refreshes } = client(server);
  await api.GET("/api/v1/auth/me");
  const r = await api.GET("/api/v1/auth/me");
  assert.equal(r.response.status, 200);
  assert.equal(refreshes(), 1);
});

test("giving up returns the 401", async () => {
  const server = fakeServer();
  const { api } = client(server, async () => undefined);
  const r = await api.GET("/api/v1/auth/me");
  assert.equal(r.response.status, 401);
  assert.equal(server.seen.length, 1);
});

test("a request aborted while it waits for a renewal stops waiting; the renewal goes on", async () => {
  const server = fakeServer();
  let renewed = false;
  const { api } = client(server, async () => {
    await new Promise((r) => setTimeout(r, 300));
    renewed = true;
    return "new";
  });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  const started = Date.now();
  await assert.rejects(api.GET("/api/v1/auth/me", { signal: ac.signal }), { name: "AbortError" });
  assert.ok(Date.now() - started < 250, `rejected after ${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(renewed, true);
});

test("a call aborted before its 401 comes leaves no failed renewal unhandled", async () => {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const ac = new AbortController();
    const api = createJmkClient({
      baseUrl: "http://api.test",
      accessToken: () => "old",
      refresh: async () => {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("refresh failed");
      },
      client: { fetch: async () => (ac.abort(), expired()) }, // a fetch that ignores the signal
    });
    await assert.rejects(api.GET("/api/v1/auth/me", { signal: ac.signal }), { name: "AbortError" });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("a 401 that is not about the token, or from a call without one, is not retried", async () => {
  let refreshed = false;
  const fetch = async () =>
    new Response("{}", { status: 401, headers: { "Content-Type": "application/problem+json", "WWW-Authenticate": 'Bearer realm="jmk"' } });
  const api = createJmkClient({ baseUrl: "http://api.test", accessToken: () => "old", refresh: async () => ((refreshed = true), "new"), client: { fetch } });
  assert.equal((await api.GET("/api/v1/auth/me")).response.status, 401);
  const login = await createJmkClient({
    baseUrl: "http://api.test",
    refresh: async () => ((refreshed = true), "new"),
    client: { fetch: async () => expired() },
  }).POST("/api/v1/auth/login", { body: { email: "a@example.com", password: "wrong password" } });
  assert.equal(login.response.status, 401);
  assert.equal(refreshed, false);
});

test("a middleware sees the final answer, not the 401 a renewal mended", async () => {
  const server = fakeServer();
  const { api } = client(server);
  const seen = [];
  api.use({ onResponse: ({ response }) => void seen.push(response.status) });
  const r = await api.GET("/api/v1/auth/me");
  assert.equal(r.response.status, 200);
  assert.deepEqual(seen, [200]);
});

test("the default fetch is called as a browser requires, on the global object", async () => {
  const server = fakeServer();
  const original = globalThis.fetch;
  // A browser's fetch throws "Illegal invocation" when called on another object.
  globalThis.fetch = function (request) {
    if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
    return server.fetch(request);
  };
  try {
    let token = "old";
    const api = createJmkClient({
      baseUrl: "http://api.test",
      accessToken: () => token,
      refresh: async () => (token = "new"),
    });
    const r = await api.GET("/api/v1/auth/me");
    assert.equal(r.response.status, 200);
  } finally {
    globalThis.fetch = original;
  }
});

test("an import sends the file as it is, as text/csv, and again after a renewal", async () => {
  const csv = "external_id;name;age\nx-1;Rita Almeida;41\n";
  for (const file of [csv, new Blob([csv], { type: "application/vnd.ms-excel" })]) {
    const server = fakeServer();
    const { api, refreshes } = client(server);
    const r = await importLeads(api, file, { dry_run: true });
    assert.equal(r.response.status, 200);
    assert.equal(refreshes(), 1);
    assert.deepEqual(
      server.seen.map((s) => [s.path, s.type, s.body]),
      [
        ["/api/v1/leads/import?dry_run=true", "text/csv", csv],
        ["/api/v1/leads/import?dry_run=true", "text/csv", csv],
      ],
    );
  }
});

test("tabs sharing a token pair take turns to renew it, where the browser has Web Locks", async () => {
  // A lock manager as a browser's: each request runs after the previous one has finished.
  let tail = Promise.resolve();
  const locks = {
    request: (name, fn) => {
      const run = tail.then(() => fn());
      tail = run.catch(() => {});
      return run;
    },
  };
  const original = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true });
  try {
    const tabs = sharing(fakeServer()); // tabs sharing localStorage
    const [a, b] = await Promise.all([tabs.make().GET("/api/v1/auth/me"), tabs.make().GET("/api/v1/stats/summary")]);
    assert.equal(a.response.status, 200);
    assert.equal(b.response.status, 200);
    assert.equal(tabs.state.refreshes, 1);
  } finally {
    if (original) Object.defineProperty(globalThis, "navigator", original);
    else delete globalThis.navigator;
  }
});

test("two clients sharing a token pair without Web Locks take turns to renew it", async () => {
  // Node has no navigator.locks here, as a page served over plain HTTP has none.
  assert.equal(globalThis.navigator?.locks, undefined);
  const { make, state } = sharing(fakeServer());
  const [a, b] = await Promise.all([make().GET("/api/v1/auth/me"), make().GET("/api/v1/stats/summary")]);
  assert.deepEqual([a.response.status, b.response.status], [200, 200]);
  assert.equal(state.refreshes, 1);
  // Code renewing outside the clients takes the same turns.
  state.stored = "old";
  const order = [];
  await Promise.all([
    withRenewalLock(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push("outside");
      state.stored = "new";
    }),
    make().GET("/api/v1/auth/me").then((r) => order.push(r.response.status)),
  ]);
  assert.deepEqual(order, ["outside", 200]);
  assert.equal(state.refreshes, 1);
});

test("the calls that take no token are sent without one", async () => {
  const server = fakeServer();
  const { api } = client(server);
  await api.POST("/api/v1/auth/login", { body: { email: "a@example.com", password: "a long password" } });
  await api.POST("/api/v1/auth/refresh", { body: { refresh_token: "r" } });
  assert.deepEqual(server.seen.map((s) => s.auth), [null, null]);
});

test("an export comes back as text or as a Blob, not parsed as JSON", async () => {
  const csv = "external_id,name\nx-1,Rita Almeida\n";
  let query;
  const fetch = async (request) => {
    query = new URL(request.url).search;
    return new Response(csv, { status: 200, headers: { "Content-Type": "text/csv; charset=utf-8" } });
  };
  const api = createJmkClient({ baseUrl: "http://api.test", accessToken: () => "t", client: { fetch } });
  const text = await exportLeads(api, { category: ["hot"] }, "text");
  assert.equal(text.data, csv);
  assert.equal(query, "?category=hot");
  const blob = await exportLeads(api, undefined, "blob");
  assert.equal(await blob.data.text(), csv);
  // A failure is a problem, whatever the body: a proxy's page, or none.
  for (const failed of [
    new Response("<html>502</html>", { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } }),
    new Response(null, { status: 500, statusText: "Internal Server Error" }),
  ]) {
    const api = createJmkClient({ baseUrl: "http://api.test", accessToken: () => "t", client: { fetch: async () => failed } });
    const r = await exportLeads(api, undefined, "text");
    assert.equal(r.data, undefined);
    assert.deepEqual(r.error, pageProblem(failed.status, failed.statusText));
  }
});

test("middleware never sees the token, before or after a renewal, nor on a failed fetch", async () => {
  const server = fakeServer();
  const { api } = client(server);
  const seen = [];
  api.use({
    onRequest: ({ request }) => void seen.push(["request", request.headers.get("Authorization")]),
    onResponse: ({ request, response }) => void seen.push([response.status, request.headers.get("Authorization")]),
  });
  const r = await api.GET("/api/v1/auth/me");
  assert.equal(r.response.status, 200);
  assert.deepEqual(server.seen.map((s) => s.auth), ["Bearer old", "Bearer new"]);
  assert.deepEqual(seen, [["request", null], [200, null]]);

  const failing = createJmkClient({
    baseUrl: "http://api.test", accessToken: () => "secret",
    client: { fetch: async () => { throw new TypeError("network down"); } },
  });
  let onError;
  failing.use({ onError: ({ request }) => void (onError = request.headers.get("Authorization")) });
  await assert.rejects(failing.GET("/api/v1/auth/me"));
  assert.equal(onError, null);
});

test("renewals of other names do not wait on each other, and fn gets no argument", async () => {
  let hang;
  void withRenewalLock(() => new Promise((resolve) => (hang = resolve)), "user-1");
  const other = await Promise.race([
    withRenewalLock(async (...args) => args.length, "user-2"),
    new Promise((r) => setTimeout(() => r("waited"), 500)),
  ]);
  assert.equal(other, 0);
  await withRenewalLock(async () => "a previous turn's result");
  assert.equal(await withRenewalLock(async (...args) => args.length), 0);
  hang();
});

// pageProblem is what problemOf makes of an error page (a made-up response has no URL).
function pageProblem(status, title) {
  return {
    type: "about:blank", title, status, instance: "", request_id: "",
    detail: `HTTP ${status} with a body that is not a problem (from a proxy in between, say)`,
  };
}

test("problemOf gives one shape for a problem and for an error page", async () => {
  const problem = { type: "https://jmk.example/problems/not-found", title: "Not Found", status: 404 };
  const fetch = async (request) =>
    new URL(request.url).pathname.endsWith("/me")
      ? new Response(JSON.stringify(problem), { status: 404, headers: { "Content-Type": "application/problem+json" } })
      : new Response("<html>502 Bad Gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "Content-Type": "text/html" } });
  const api = createJmkClient({ baseUrl: "http://api.test", accessToken: () => "t", client: { fetch } });
  assert.deepEqual(problemOf(await api.GET("/api/v1/auth/me")), problem);
  assert.deepEqual(problemOf(await api.GET("/api/v1/stats/summary")), pageProblem(502, "Bad Gateway"));
  assert.equal(problemOf({ response: new Response("{}", { status: 200 }) }), undefined);
});
