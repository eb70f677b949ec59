//go:build browser

// The browser test opens /docs in a real headless Chromium, which the plain
// HTTP tests of the page cannot stand in for: it catches a script the page's
// Content-Security-Policy blocks, a spec Swagger UI cannot render, and a
// "Try it out" request the API refuses. It needs Chromium (Debian's package
// chromium, or CHROMIUM=/path); `go tool task test:browser` runs it.

package server_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/servertest"
)

func TestDocsInBrowser(t *testing.T) {
	env := servertest.New(t)
	p := openBrowser(t)

	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	operations := 0
	for _, item := range spec.Paths.Map() {
		operations += len(item.Operations())
	}

	// The page is opened by a name, as a deployment's is, not at 127.0.0.1:
	// browsers and Swagger UI treat a loopback address otherwise.
	base := strings.Replace(env.URL, "127.0.0.1", docsHost, 1)
	p.do("open /docs", chromedp.Navigate(base+"/docs"), chromedp.WaitVisible(chromedp.CSS(".opblock")))
	rendered := run(p, "count operations", chromedp.Evaluate[int](`document.querySelectorAll(".opblock").length`))
	if rendered != operations {
		t.Errorf("/docs shows %d operations, the spec has %d", rendered, operations)
	}

	// Log in through the page, as a first-time reader of the docs would.
	login := fmt.Sprintf(`{"email": %q, "password": %q}`, env.AdminUser.Email, servertest.Password)
	status, body := p.tryItOut("#operations-auth-login", login)
	if status != "200" || !strings.Contains(body, "access_token") {
		t.Fatalf("login from /docs: status %s, body %s", status, body)
	}
	token := env.Login(env.AdminUser.Email).AccessToken

	// Authorize with the token, then call an operation that needs it.
	p.do("authorize",
		chromedp.Click(chromedp.CSS(".auth-wrapper .authorize")),
		chromedp.WaitVisible(chromedp.CSS(".modal-ux input")),
		chromedp.SendKeys(chromedp.CSS(".modal-ux input"), token),
		chromedp.Click(chromedp.CSS(".modal-ux .auth-btn-wrapper .authorize")),
		chromedp.Click(chromedp.CSS(".modal-ux .btn-done")),
		chromedp.WaitNotPresent(chromedp.CSS(".modal-ux")))
	status, body = p.tryItOut("#operations-auth-getMe", "")
	if status != "200" || !strings.Contains(body, env.AdminUser.Email) {
		t.Errorf("GET /auth/me from /docs with the token: status %s, body %s", status, body)
	}

	for _, msg := range p.problems() {
		// Over plain HTTP, only localhost may opt into COOP; a deployment
		// serves the docs over HTTPS, where the header holds.
		if strings.Contains(msg, "Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was untrustworthy") {
			continue
		}
		t.Errorf("browser reported: %s", msg)
	}
}

// docsHost is the name the browser reaches the test server by.
const docsHost = "docs.jmk.test"

// stepTimeout bounds each step; a page that never renders fails in
// seconds, with what the browser reported, rather than at the test's
// deadline.
const stepTimeout = 20 * time.Second

// page is a headless Chromium tab and the errors it has reported: console
// errors, uncaught exceptions, and the browser's own log entries such as a
// Content-Security-Policy refusal.
type page struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	bad []string
}

func openBrowser(t *testing.T) *page {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no Chromium at %s (install Debian's chromium, or set CHROMIUM): %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		// The machine has no internet: keep Chromium from trying to reach it.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 1600),
		chromedp.Flag("host-resolver-rules", "MAP "+docsHost+" 127.0.0.1"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	p := &page{t: t, ctx: ctx}

	// Start the browser now, on the tab's own context (a browser started on
	// a step's shorter-lived context would end with it), so that the
	// console is read from the first page on.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	console, stopConsole := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(console) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.bad = append(p.bad, m.String())
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		stopConsole()
		<-done
		cancelCtx()
		cancelAlloc()
	})
	return p
}

func (p *page) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.bad)
}

func (p *page) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	run(p, step, chromedp.Steps(actions...))
}

func run[T any](p *page, step string, action chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		p.t.Fatalf("%s: %v; the browser reported %q", step, err, p.problems())
	}
	return v
}

// tryItOut expands an operation, presses "Try it out", fills the request
// body when there is one, executes it and returns the live response's status
// and body as the page shows them.
func (p *page) tryItOut(op, body string) (status, text string) {
	p.t.Helper()
	p.do("expand "+op,
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")))
	if body != "" {
		// React owns the textarea: set its value the way a keystroke would,
		// through the native setter and an input event.
		textarea := op + " textarea.body-param__text"
		p.do("fill "+op,
			chromedp.WaitVisible(chromedp.CSS(textarea)),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const ta = document.querySelector(%q);
				Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(ta, %q);
				ta.dispatchEvent(new Event("input", {bubbles: true}));
			})()`, textarea, body)))
	}
	result := op + " .live-responses-table tbody"
	p.do("execute "+op,
		chromedp.Click(chromedp.CSS(op+" .execute")),
		chromedp.WaitVisible(chromedp.CSS(result+" .response-col_status")))
	status = run(p, "read "+op, chromedp.Text(chromedp.CSS(result+" .response-col_status")))
	text = run(p, "read "+op, chromedp.Text(chromedp.CSS(result+" .response-col_description")))
	return strings.TrimSpace(status), text
}
