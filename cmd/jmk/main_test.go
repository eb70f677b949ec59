package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/jmksales/jmk/schema"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
)

// TestMain runs main itself, not the tests, in a child process started by
// runMain: what main does before run (.env) and its exit codes.
func TestMain(m *testing.M) {
	if os.Getenv("JMK_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs the jmk binary's main with args in dir, with the process's
// environment without the variables named in unset, and with set's
// (KEY=value). It returns the exit code, stdout and stderr.
func runMain(t *testing.T, dir string, unset, set []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(unset, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, set...), "JMK_TEST_RUN_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// A .env file is optional, but one that cannot be used stops the command:
// skipping it would run with the defaults (another database, say).
func TestDotEnv(t *testing.T) {
	t.Parallel()
	// Not inherited: the .env's APP_ENV must decide, and JWT_SECRET must be
	// missing for a production server's configuration to be refused.
	unset := []string{"APP_ENV", "JWT_SECRET", "DATABASE_URL"}
	for _, tc := range []struct {
		name       string
		env        string // the .env's content; "" none, "/" a directory
		set        []string
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{"Missing", "", nil, []string{"--help"}, 0, "Usage: jmk", ""},
		{"Loaded", "APP_ENV=production\n", nil, []string{"serve"}, 1, "", "JWT_SECRET"},
		// The environment wins over the file: LOG_LEVEL=bogus in it is never read.
		{"EnvironmentWins", "LOG_LEVEL=bogus\nDATABASE_URL=postgres://postgres@127.0.0.1:2/y\n",
			[]string{"LOG_LEVEL=warn", "DATABASE_URL=postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"},
			[]string{"migrate"}, 1, "", "127.0.0.1:1"},
		{"ByteOrderMark", "\uFEFFAPP_ENV=production\r\n", nil, []string{"serve"}, 1, "", "JWT_SECRET"},
		{"BadLine", "this is not valid\n", nil, []string{"migrate"}, 1, "", "jmk: .env: "},
		{"BadLineAfterGoodOnes", "APP_ENV=production\nthis is not valid\n", nil, []string{"migrate"}, 1, "", "jmk: .env: "},
		{"Unterminated", "JWT_SECRET=\"abc\n", nil, []string{"migrate"}, 1, "", "jmk: .env: a quoted value has no closing quote"},
		// godotenv reads this as the variable "DATABASE_URL postgres",
		// which would leave DATABASE_URL to its default.
		{"SpaceForEquals", "DATABASE_URL postgres://postgres@127.0.0.1:1/x\n", nil, []string{"migrate"}, 1, "",
			"jmk: .env: a line is not a variable assignment: a name holds a space"},
		{"Directory", "/", nil, []string{"migrate"}, 1, "", "jmk: read .env: is a directory"},
		// Help needs no settings: it is shown, with the problem as a warning.
		{"BadLineHelp", "this is not valid\n", nil, []string{"import", "--help"}, 0, "Usage: jmk import", "jmk: warning: .env: "},
		// What follows the bad line (or the open quote) is never echoed.
		{"SecretsNotEchoed", "JUNK LINE\nJWT_SECRET=s3cr3t-value-0123456789\n", nil, []string{"migrate"}, 1, "",
			"jmk: .env: a line is not a variable assignment (expected KEY=value lines"},
		{"SecretsNotEchoedUnterminated", "DATABASE_URL='postgres://u:DbPassw0rd@h/db\n", nil, []string{"migrate"}, 1, "",
			"jmk: .env: a quoted value has no closing quote"},
		// Help is decided by the command, not guessed from the words: this
		// exports the leads matching "help", so the broken .env stops it.
		{"BadLineHelpAsValue", "this is not valid\n", nil, []string{"export", "--q", "help"}, 1, "", "jmk: .env: "},
		{"BadLineTopHelp", "this is not valid\n", nil, []string{"help"}, 0, "Usage: jmk", "jmk: warning: .env: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			switch tc.env {
			case "":
			case "/":
				if err := os.Mkdir(filepath.Join(dir, ".env"), 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(tc.env), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := runMain(t, dir, unset, tc.set, tc.args...)
			if strings.Contains(stderr, "s3cr3t") || strings.Contains(stderr, "DbPassw0rd") {
				t.Errorf("a secret was echoed: %s", stderr)
			}
			if code != tc.code || !strings.Contains(stdout, tc.wantStdout) || !strings.Contains(stderr, tc.wantStderr) ||
				(tc.wantStderr == "") != (stderr == "") {
				t.Fatalf("exit %d, want %d\nstdout %q, want %q\nstderr %q, want %q", code, tc.code, stdout, tc.wantStdout, stderr, tc.wantStderr)
			}
			if code != 0 && stdout != "" {
				t.Errorf("the command ran: %q", stdout)
			}
		})
	}
}

type result struct {
	stdout, stderr string
	err            error
}

// jmk runs the command line in-process with only the given environment.
func runJMK(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut logbuf.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return result{out.String(), errOut.String(), err}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			t.Parallel()
			r := runJMK(t, nil, "", args...)
			if r.err != nil || !strings.Contains(r.stdout, "Usage: jmk") {
				t.Fatalf("%v %q", r.err, r.stdout)
			}
			for _, c := range []string{"serve", "migrate", "users", "audit"} {
				if !strings.Contains(r.stdout, "  "+c) {
					t.Errorf("usage lacks %s", c)
				}
			}
		})
	}
	t.Run("NoCommand", func(t *testing.T) {
		t.Parallel()
		r := runJMK(t, nil, "")
		if r.err == nil || !strings.Contains(r.stderr, "Usage: jmk") || r.stdout != "" {
			t.Fatalf("%v stdout %q stderr %q", r.err, r.stdout, r.stderr)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		t.Parallel()
		r := runJMK(t, nil, "", "frobnicate")
		if r.err == nil || !strings.Contains(r.err.Error(), "frobnicate") || !strings.Contains(r.stderr, "Usage: jmk") {
			t.Fatalf("%v %q", r.err, r.stderr)
		}
	})
	// --help prints the usage to stdout and touches no database (none is
	// configured here: the default one would be tried).
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"users", "--help"},
		{"users", "create", "--help"}, {"audit", "--help"}, {"audit", "verify", "--help"}, {"import", "-h"},
		{"export", "--help"}, {"seed", "--help"}, {"model", "--help"}, {"model", "train", "--help"},
		{"model", "list", "--help"}, {"model", "activate", "--help"}} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runJMK(t, nil, "", args...)
			if r.err != nil || !strings.Contains(r.stdout, "Usage: jmk "+args[0]) || r.stderr != "" {
				t.Fatalf("%v stdout %q stderr %q", r.err, r.stdout, r.stderr)
			}
		})
	}
	// A word the command does not take is an error, with the usage on
	// stderr, before anything runs: otherwise the flags after it would be
	// silently ignored.
	for _, args := range [][]string{{"serve", "now"}, {"migrate", "up"}, {"model", "train", "now", "--activate"},
		{"model", "list", "all"}, {"model", "activate", "1", "2"}, {"import", "a.csv", "--dry-run"},
		{"export", "x"}, {"seed", "--demo", "again"}, {"audit", "verify", "all"}, {"model", "train", "--bogus"}} {
		t.Run("Unexpected_"+strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runJMK(t, nil, "", args...)
			if r.err == nil || !strings.Contains(r.stderr, "Usage: jmk") || r.stdout != "" {
				t.Fatalf("%v stdout %q stderr %q", r.err, r.stdout, r.stderr)
			}
		})
	}
	// Errors say what is wrong in the user's own terms.
	missing := filepath.Join(t.TempDir(), "missing", "x.csv")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ImportOutcome", []string{"import", "--outcome", "maybe", "f.csv"}, `--outcome "maybe" must be use or ignore`},
		{"ImportNoFile", []string{"import"}, "name the FILE to import"},
		{"ExportIntoMissingDir", []string{"export", "-o", missing}, "cannot write " + missing + ": no such file"},
		{"NoServer", []string{"migrate"}, "start PostgreSQL 15 or newer there"},
		// The flag package's own errors, spelt as the usage spells flags and
		// without its "parse error".
		{"UnknownFlag", []string{"model", "list", "--json"}, "model list: unknown flag --json"},
		{"FlagWithoutValue", []string{"model", "train", "--holdout"}, "model train: --holdout needs a value"},
		{"FloatFlag", []string{"model", "train", "--holdout", "abc"}, `model train: --holdout "abc": expected a number`},
		{"IntFlag", []string{"model", "train", "--seed", "1e3"}, `model train: --seed "1e3": expected a whole number`},
		{"IntFlagTooBig", []string{"model", "train", "--seed", "99999999999999999999"}, `--seed "99999999999999999999": out of range`},
		{"BoolFlag", []string{"model", "train", "--activate=maybe"}, `model train: --activate "maybe": expected true or false`},
		{"OneLetterFlag", []string{"import", "-v=maybe", "f.csv"}, `import: -v "maybe": expected true or false`},
		{"CustomFlagValue", []string{"export", "--min-probability", "x"}, `export: --min-probability "x": must be a number`},
	} {
		t.Run("Message_"+tc.name, func(t *testing.T) {
			t.Parallel()
			r := runJMK(t, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x"}, "", tc.args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) || strings.Contains(r.err.Error(), ".tmp") || strings.Contains(r.err.Error(), "parse error") {
				t.Fatalf("want %q, got %v", tc.want, r.err)
			}
		})
	}
	// A port that takes the connection and says nothing (not PostgreSQL, or
	// a stalled pooler) is told apart from one where nothing listens.
	t.Run("Message_SilentServer", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dsn := "postgres://postgres@" + ln.Addr().String() + "/x?connect_timeout=1"
		r := runJMK(t, map[string]string{"DATABASE_URL": dsn}, "", "migrate")
		if r.err == nil || !strings.Contains(r.err.Error(), "no answer within connect_timeout") {
			t.Fatalf("%v", r.err)
		}
	})
	// A bad listen address is reported before the database is tried (this
	// one answers nowhere).
	t.Run("BadListenAddress", func(t *testing.T) {
		t.Parallel()
		r := runJMK(t, map[string]string{"HTTP_ADDR": "garbage", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/x"}, "", "serve")
		if r.err == nil || !strings.Contains(r.err.Error(), `HTTP_ADDR must be host:port or :port, such as :8080 or 127.0.0.1:8080, got "garbage"`) {
			t.Fatalf("%v", r.err)
		}
	})
	t.Run("BadConfig", func(t *testing.T) {
		t.Parallel()
		r := runJMK(t, map[string]string{"APP_ENV": "production"}, "", "serve")
		if r.err == nil || !strings.Contains(r.err.Error(), "JWT_SECRET") {
			t.Fatalf("%v", r.err)
		}
	})
	// The tools sign no tokens: production needs no JWT_SECRET for them,
	// but one that is set must still be valid.
	t.Run("ToolsNeedNoSecret", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"APP_ENV": "production", "DATABASE_URL": dbtest.URL(t)}
		if r := runJMK(t, env, "", "migrate"); r.err != nil || !strings.Contains(r.stdout, "migrations applied") {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		env["JWT_SECRET"] = "short"
		if r := runJMK(t, env, "", "migrate"); r.err == nil || !strings.Contains(r.err.Error(), "JWT_SECRET must be at least") {
			t.Fatalf("%v", r.err)
		}
	})
}

func TestUsersCreate(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn, "JMK_PASSWORD": "a long enough password"}
	// A first user who is not an admin leaves nobody to manage users, and
	// jmk serve will not make an admin once users exist: say so.
	t.Run("FirstUserNotAdmin", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"DATABASE_URL": dbtest.URL(t), "JMK_PASSWORD": "a long enough password"}
		r := runJMK(t, env, "", "users", "create", "--email", "first@example.com", "--name", "First")
		if r.err != nil || !strings.Contains(r.stderr, "there is no admin; create one with jmk users create --role admin") {
			t.Fatalf("%v %q", r.err, r.stderr)
		}
		r = runJMK(t, env, "", "users", "create", "--email", "second@example.com", "--name", "Second")
		if r.err != nil || strings.Contains(r.stderr, "no admin") {
			t.Fatalf("second user: %v %q", r.err, r.stderr)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r := runJMK(t, env, "", "users", "create", "--email", " Boss@Example.com", "--name", "The Boss", "--role", "admin")
		if r.err != nil || !strings.Contains(r.stdout, "created admin user The Boss <boss@example.com>") {
			t.Fatalf("%v %q %q", r.err, r.stdout, r.stderr)
		}
		// A terminal has no API user: the event names the command as actor,
		// and the account and host it ran under as its user agent.
		var role, actor, agent string
		queryRowSQL(t, dsn, `SELECT u.role, e.actor_name, e.user_agent FROM users u JOIN audit_events e ON e.entity_id = u.id::text
			WHERE u.email = 'boss@example.com' AND e.action = 'user.create'`, &role, &actor, &agent)
		host, _ := os.Hostname()
		if role != "admin" || actor != "jmk users create" || !strings.HasPrefix(agent, "jmk users (run by ") || !strings.HasSuffix(agent, " on "+host+")") {
			t.Fatalf("role %q actor %q user agent %q", role, actor, agent)
		}
	})
	// The name is stored trimmed; its length is counted in characters.
	t.Run("LongestName", func(t *testing.T) {
		name := strings.Repeat("é", 200)
		r := runJMK(t, env, "", "users", "create", "--email", "long@example.com", "--name", " "+name+" ")
		if r.err != nil {
			t.Fatalf("%v %q", r.err, r.stderr)
		}
		var got string
		queryRowSQL(t, dsn, `SELECT name FROM users WHERE email = 'long@example.com'`, &got)
		if got != name {
			t.Fatalf("name %q", got)
		}
	})
	// A pipe may deliver the password in pieces: all of its first line
	// counts, and nothing after it.
	t.Run("PasswordFromStdinInPieces", func(t *testing.T) {
		var out, errOut logbuf.Buffer
		stdin := iotest.OneByteReader(strings.NewReader("abcdefghij klmnop\r\nsecond line\n"))
		err := run(context.Background(), []string{"users", "create", "--email", "pipe@example.com", "--name", "Pipe"},
			func(k string) string { return map[string]string{"DATABASE_URL": dsn}[k] }, stdin, &out, &errOut)
		if err != nil {
			t.Fatalf("%v %q", err, errOut.String())
		}
		var hash string
		queryRowSQL(t, dsn, `SELECT password_hash FROM users WHERE email = 'pipe@example.com'`, &hash)
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte("abcdefghij klmnop")) != nil {
			t.Fatal("the stored password is not the first line of standard input")
		}
	})
	for _, tc := range []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"ShortPasswordFromStdin", map[string]string{"DATABASE_URL": dsn}, "short\n", []string{"--email", "a@example.com", "--name", "A"}, "users create: password must be"},
		{"NoPassword", map[string]string{"DATABASE_URL": dsn}, "", []string{"--email", "a@example.com", "--name", "A"}, "users create: the password is empty"},
		{"MissingEmail", env, "", []string{"--name", "A"}, "--email and --name are required"},
		{"BadRole", env, "", []string{"--email", "a@example.com", "--name", "A", "--role", "boss"}, `--role "boss" must be admin or sales`},
		{"LongPasswordLine", map[string]string{"DATABASE_URL": dsn}, strings.Repeat("x", 5000), []string{"--email", "a@example.com", "--name", "A"}, "longer than 4096 bytes"},
		// A login could never send it: the API refuses text that is not UTF-8.
		{"Latin1PasswordFromStdin", map[string]string{"DATABASE_URL": dsn}, "abc\xff\xfedefghij\n", []string{"--email", "a@example.com", "--name", "A"}, "the password must be UTF-8 text"},
		{"Latin1PasswordFromEnv", map[string]string{"DATABASE_URL": dsn, "JMK_PASSWORD": "caf\xe9 password"}, "", []string{"--email", "a@example.com", "--name", "A"}, "the password must be UTF-8 text"},
		{"UnknownFlag", env, "", []string{"--password", "x"}, "users create: unknown flag --password"},
		// The rules of POST /users.
		{"NotAnEmail", env, "", []string{"--email", "notanemail", "--name", "A"}, `--email "notanemail" is not an e-mail address`},
		{"EmailWithName", env, "", []string{"--email", "Ana <ana@example.com>", "--name", "A"}, "is not an e-mail address"},
		{"TwoEmails", env, "", []string{"--email", "a@example.com, b@example.com", "--name", "A"}, "is not an e-mail address"},
		{"LongEmail", env, "", []string{"--email", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63), "--name", "A"}, "is not an e-mail address"},
		{"BlankName", env, "", []string{"--email", "a@example.com", "--name", " \t "}, "--name must not be blank"},
		{"LongName", env, "", []string{"--email", "a@example.com", "--name", strings.Repeat("é", 201)}, "--name is longer than 200 characters"},
		{"NameOnTwoLines", env, "", []string{"--email", "a@example.com", "--name", "evil\nline"}, "--name contains a control character"},
		{"NameWithTab", env, "", []string{"--email", "a@example.com", "--name", "A\tB"}, "--name contains a control character"},
		{"NameOnlyPunctuation", env, "", []string{"--email", "a@example.com", "--name", "!!!"}, "--name has no letter or digit"},
		{"NameNotText", env, "", []string{"--email", "a@example.com", "--name", "A\x00B"}, "--name must be UTF-8 text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runJMK(t, tc.env, tc.stdin, append([]string{"users", "create"}, tc.args...)...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, r.err)
			}
			var n int
			queryRowSQL(t, dsn, `SELECT count(*) FROM users`, &n)
			if r.stdout != "" || n != 3 { // the three above
				t.Fatalf("stdout %q, %d users", r.stdout, n)
			}
		})
	}
	// A mistyped DATABASE_URL creates no database for an admin nobody's
	// server reads; it fails before the password prompt.
	t.Run("MissingDatabase", func(t *testing.T) {
		t.Parallel()
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + path.Base(u.Path) + "_typo"
		r := runJMK(t, map[string]string{"DATABASE_URL": u.String(), "JMK_PASSWORD": "a long enough password"}, "",
			"users", "create", "--email", "typo@example.com", "--name", "Typo", "--role", "admin")
		if r.err == nil || !strings.Contains(r.err.Error(), "does not exist") || r.stdout != "" {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		if n := dbCount(t, dsn, `SELECT count(*) FROM pg_database WHERE datname = $1`, path.Base(u.Path)); n != 0 {
			t.Fatal("users create made the database it was pointed at")
		}
	})
	t.Run("NoSubcommand", func(t *testing.T) {
		t.Parallel()
		if r := runJMK(t, env, "", "users"); r.err == nil || !strings.Contains(r.stderr, "Usage") {
			t.Fatalf("%v %q", r.err, r.stderr)
		}
	})
	t.Run("UnknownSubcommand", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{"users", "list"}, {"audit", "list"}} {
			if r := runJMK(t, env, "", args...); r.err == nil || !strings.Contains(r.err.Error(), `unknown subcommand "list": the only one is`) {
				t.Errorf("%v: %v", args, r.err)
			}
		}
	})
}

func queryRowSQL(t *testing.T, dsn, q string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), q).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func execSQL(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(schema.Migrations, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("%v %v", files, err)
	}
	env := map[string]string{"DATABASE_URL": dbtest.FreshURL(t)}
	r := runJMK(t, env, "", "migrate")
	if r.err != nil || r.stdout != fmt.Sprintf("migrations applied: %d\n", len(files)) {
		t.Fatalf("fresh database: %v %q", r.err, r.stdout)
	}
	r = runJMK(t, env, "", "migrate")
	if r.err != nil || r.stdout != "migrations applied: 0\n" {
		t.Fatalf("second run: %v %q", r.err, r.stdout)
	}
	var n int
	queryRowSQL(t, env["DATABASE_URL"], `SELECT count(*) FROM users`, &n)

	// status lists every migration and says whether the schema matches.
	r = runJMK(t, env, "", "migrate", "status")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.err != nil || len(lines) != len(files)+1 || !strings.HasPrefix(lines[0], files[0]+" ") || !strings.Contains(lines[0], " applied ") || lines[len(files)] != "up to date" {
		t.Fatalf("status: %v %q", r.err, r.stdout)
	}
	// As if the newest migration were not applied: its row goes, and comes
	// back after.
	var last int64
	queryRowSQL(t, env["DATABASE_URL"], `SELECT max(version_id) FROM goose_db_version`, &last)
	execSQL(t, env["DATABASE_URL"], fmt.Sprintf(`DELETE FROM goose_db_version WHERE version_id = %d`, last))
	r = runJMK(t, env, "", "migrate", "status")
	if r.err == nil || r.err.Error() != "migrate status: 1 pending: run jmk migrate" || exitCode(r.err) != 2 || !strings.HasSuffix(r.stdout, " pending\n") {
		t.Fatalf("status behind: %v %q", r.err, r.stdout)
	}
	execSQL(t, env["DATABASE_URL"], fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true), (%d, true)`, last, last+1))
	r = runJMK(t, env, "", "migrate", "status")
	if r.err == nil || !strings.Contains(r.err.Error(), "newer than this binary") || exitCode(r.err) != 2 {
		t.Fatalf("status ahead: %v %q", r.err, r.stdout)
	}
	if r := runJMK(t, env, "", "migrate"); r.err == nil || !strings.Contains(r.err.Error(), "newer than this binary") {
		t.Fatalf("migrate on a newer schema: %v %q", r.err, r.stdout)
	}
	if r := runJMK(t, env, "", "migrate", "down"); r.err == nil || !strings.Contains(r.err.Error(), `unknown subcommand "down"`) {
		t.Fatalf("migrate down: %v", r.err)
	}
	if r := runJMK(t, nil, "", "migrate", "status", "--help"); r.err != nil || !strings.HasPrefix(r.stdout, "Usage: jmk migrate status") {
		t.Fatalf("migrate status --help: %v %q", r.err, r.stdout)
	}
	t.Run("UnreachableServer", func(t *testing.T) {
		t.Parallel()
		r := runJMK(t, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, "", "migrate")
		if r.err == nil || !strings.Contains(r.err.Error(), "DATABASE_URL") {
			t.Fatalf("%v", r.err)
		}
	})
}

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn, "JMK_PASSWORD": "a long enough password"}
	var ids []int64
	for i := range 4 {
		execSQL(t, dsn, fmt.Sprintf(`INSERT INTO audit_events (actor_name, action, entity_type, summary)
			VALUES ('test', 'user.update', 'user', 'event %d')`, i))
	}
	r := runJMK(t, env, "", "audit", "verify")
	okLine, headLine, _ := strings.Cut(strings.TrimSpace(r.stdout), "\n")
	head, found := strings.CutPrefix(headLine, "head: ")
	if r.err != nil || okLine != "ok: 4 sealed events verified, 0 not yet sealed" || !found {
		t.Fatalf("%v %q", r.err, r.stdout)
	}
	if r := runJMK(t, env, "", "audit", "verify", "--anchor", head); r.err != nil {
		t.Fatalf("verify against its own head %s: %v %q", head, r.err, r.stdout)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := conn.Query(context.Background(), `SELECT id FROM audit_events ORDER BY id`)
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	conn.Close(context.Background())
	if err != nil || len(ids) != 4 {
		t.Fatalf("%v %v", ids, err)
	}
	t.Run("NoSeal", func(t *testing.T) {
		execSQL(t, dsn, `INSERT INTO audit_events (actor_name, action, entity_type, summary) VALUES ('test', 'user.update', 'user', 'late')`)
		r := runJMK(t, env, "", "audit", "verify", "--seal=false")
		if r.err != nil || r.stdout != "ok: 4 sealed events verified, 1 not yet sealed\n"+headLine+"\n" {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
	})
	t.Run("BadAnchor", func(t *testing.T) {
		for _, a := range []string{"12", "x:ab", "0:" + strings.Repeat("0", 64), "1:abc", "", " "} {
			if r := runJMK(t, env, "", "audit", "verify", "--anchor", a); r.err == nil || !strings.Contains(r.err.Error(), "--anchor") || exitCode(r.err) != 1 {
				t.Errorf("--anchor %s: %v", a, r.err)
			}
		}
	})
	// A trigger switched off is tampering in itself, found as such (exit
	// 2) while the chain still holds.
	t.Run("Unguarded", func(t *testing.T) {
		execSQL(t, dsn, `ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_no_truncate`)
		r := runJMK(t, env, "", "audit", "verify", "--seal=false")
		want := "BROKEN: the audit trail is not append-only: triggers disabled or changed: 1 of 4 (the 4 sealed events check out)\n"
		if r.stdout != want || exitCode(r.err) != 2 || !strings.Contains(r.err.Error(), "not protected") {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		execSQL(t, dsn, `ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_no_truncate`)
		if r := runJMK(t, env, "", "audit", "verify", "--seal=false"); r.err != nil {
			t.Fatalf("back in force: %v %q", r.err, r.stdout)
		}
	})
	t.Run("RewrittenBeforeAnchor", func(t *testing.T) {
		// The seals from the second event on go, the event changes, and
		// verify (which seals first) links it all again: only the anchor
		// shows it. Runs before Tampered, which breaks the chain for good.
		execSQL(t, dsn, `BEGIN`, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
			`ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only`,
			fmt.Sprintf(`DELETE FROM audit_seals WHERE event_id >= %d`, ids[1]),
			fmt.Sprintf(`UPDATE audit_events SET summary = 'x' WHERE id = %d`, ids[1]),
			`ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`,
			`ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only`, `COMMIT`)
		if r := runJMK(t, env, "", "audit", "verify"); r.err != nil {
			t.Fatalf("without the anchor: %v %q", r.err, r.stdout)
		}
		r := runJMK(t, env, "", "audit", "verify", "--anchor", head)
		want := fmt.Sprintf("event %d", ids[3])
		if r.err == nil || !strings.HasPrefix(r.stdout, "BROKEN: "+want) {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
	})
	t.Run("MissingDatabase", func(t *testing.T) {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + path.Base(u.Path) + "_typo"
		r := runJMK(t, map[string]string{"DATABASE_URL": u.String()}, "", "audit", "verify")
		if r.err == nil || !strings.Contains(r.err.Error(), "does not exist") || exitCode(r.err) != 1 {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		if n := dbCount(t, dsn, `SELECT count(*) FROM pg_database WHERE datname = $1`, path.Base(u.Path)); n != 0 {
			t.Fatal("verify created the database it was pointed at")
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		execSQL(t, dsn, `BEGIN`, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
			fmt.Sprintf(`UPDATE audit_events SET summary = 'x' WHERE id = %d`, ids[2]),
			`ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`, `COMMIT`)
		r := runJMK(t, env, "", "audit", "verify")
		want := fmt.Sprintf("event %d", ids[2])
		if r.err == nil || !strings.Contains(r.err.Error(), want) || !strings.HasPrefix(r.stdout, "BROKEN: "+want) {
			t.Fatalf("%v %q", r.err, r.stdout)
		}
		// Tampering exits 2; a check that could not run, 1.
		if c := exitCode(r.err); c != 2 {
			t.Errorf("broken chain: exit %d, want 2", c)
		}
	})
}

// TestAuditVerifyChainAhead: after an event inserted with an id ahead of
// the sequence is sealed, the events after it cannot be; verify warns of
// that, still checks the chain, and finds it broken (exit 2).
func TestAuditVerifyChainAhead(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn}
	execSQL(t, dsn, `INSERT INTO audit_events (actor_name, action, entity_type, summary) VALUES ('test', 'user.update', 'user', 'real')`,
		`INSERT INTO audit_events (id, actor_name, action, entity_type, summary)
			OVERRIDING SYSTEM VALUE VALUES (1000, 'forger', 'lead.delete', 'lead', 'forged')`)
	if r := runJMK(t, env, "", "audit", "verify"); r.err != nil || !strings.HasPrefix(r.stdout, "ok: 2 sealed events verified") {
		t.Fatalf("sealing the forged event: %v %q", r.err, r.stdout)
	}
	execSQL(t, dsn, `INSERT INTO audit_events (actor_name, action, entity_type, summary) VALUES ('test', 'user.update', 'user', 'stranded')`)
	r := runJMK(t, env, "", "audit", "verify")
	if !strings.Contains(r.stderr, "event 1000, has an id the id sequence has not issued") ||
		!strings.HasPrefix(r.stdout, "BROKEN: event 2: the event is not sealed but a later one is") || exitCode(r.err) != 2 {
		t.Fatalf("%v\nstdout %q\nstderr %q", r.err, r.stdout, r.stderr)
	}
}

// startServe runs jmk serve in-process with only env until cancel; its
// stdout is read from outR, and done receives what it returns.
func startServe(t *testing.T, env map[string]string) (cancel context.CancelFunc, outR io.Reader, errOut *logbuf.Buffer, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	errOut = new(logbuf.Buffer)
	result := make(chan error, 1)
	go func() {
		result <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), w, errOut)
		w.Close()
	}()
	return cancel, r, errOut, result
}

// TestServeWarnsOfOpenMetrics: in production an unset METRICS_TOKEN leaves
// GET /metrics open to anyone who reaches the port; serve says so at start.
func TestServeWarnsOfOpenMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		warn        bool
	}{{"Unset", "", true}, {"Set", "a metrics token long enough", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": dbtest.URL(t), "HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "warn",
				"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 48), "ADMIN_PASSWORD": "a long enough password",
				"METRICS_TOKEN": tc.token}
			cancel, outR, errOut, done := startServe(t, env)
			defer cancel()
			if line, err := bufio.NewReader(outR).ReadString('\n'); err != nil || !strings.HasPrefix(line, "JMK Sales API on") {
				t.Fatalf("first line %q %v: %s", line, err, errOut.String())
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v", err)
			}
			if got := strings.Contains(errOut.String(), "METRICS_TOKEN is not set"); got != tc.warn {
				t.Errorf("warned %v, want %v: %s", got, tc.warn, errOut.String())
			}
		})
	}
}

// TestServeDrain: with SHUTDOWN_DRAIN a stopping server first answers
// /readyz with 503 for that long while it still serves every request, so a
// load balancer stops sending new ones before the listener closes.
func TestServeDrain(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	env := map[string]string{"DATABASE_URL": dsn, "HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "warn",
		"SHUTDOWN_DRAIN": "2s", "ADMIN_PASSWORD": "a long enough password"}
	cancel, outR, errOut, done := startServe(t, env)
	defer cancel()
	line, err := bufio.NewReader(outR).ReadString('\n')
	m := regexp.MustCompile(`^JMK Sales API on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("first line %q %v: %s", line, err, errOut.String())
	}
	base := m[1]
	status := func(path string) int {
		res, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/readyz"); s != 200 {
		t.Fatalf("readyz before the stop: %d", s)
	}
	stopped := time.Now()
	cancel()
	for deadline := time.Now().Add(5 * time.Second); status("/readyz") != 503 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if r, h, o := status("/readyz"), status("/healthz"), status("/openapi.yaml"); r != 503 || h != 200 || o != 200 {
		t.Errorf("while draining: readyz %d, healthz %d, openapi.yaml %d; want 503, 200, 200", r, h, o)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
		if d := time.Since(stopped); d < 2*time.Second {
			t.Errorf("stopped %v after the signal, before the 2 s drain", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if s := status("/healthz"); s != 0 {
		t.Fatalf("still serving after shutdown: %d", s)
	}
	// A draining /readyz is no warning: a balancer polling it would log one a check.
	if s := errOut.String(); strings.Contains(s, `"path":"/readyz"`) {
		t.Errorf("a /readyz answer logged at WARN (LOG_LEVEL=warn):\n%s", s)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	// A generous shutdown deadline: under -race on a busy machine the
	// in-flight login's bcrypt alone can take seconds.
	env := map[string]string{"DATABASE_URL": dsn, "HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info", "SHUTDOWN_TIMEOUT": "90s"}
	cancel, outR, errOut, done := startServe(t, env)
	defer cancel()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base string
	select {
	case line := <-lines:
		m := regexp.MustCompile(`^JMK Sales API on (http://127\.0\.0\.1:\d+) \(docs: /docs\)$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q", line)
		}
		base = m[1]
	case err := <-done:
		t.Fatalf("serve ended: %v %s", err, errOut.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve printed no address")
	}

	// No ADMIN_PASSWORD: the first admin's random password is printed once.
	m := regexp.MustCompile(`First admin created: (\S+)\n\s+Password \(shown only this once\): (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil || m[1] != "admin@example.com" {
		t.Fatalf("no bootstrap password in %q", errOut.String())
	}
	password := m[2]

	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()

	// An in-flight request: headers sent, body not yet. Shutdown must wait
	// for it to complete.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := fmt.Sprintf(`{"email":"admin@example.com","password":%q}`, password)
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(300 * time.Millisecond)
	cancel()
	// The rest of the body goes once the shutdown has begun.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(errOut.String(), `"msg":"shutting down"`); {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown logged: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("in-flight login: %d", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
	if s := errOut.String(); strings.Contains(s, `"level":"ERROR"`) || !strings.Contains(s, `"msg":"stopped: every request finished"`) {
		t.Fatalf("errors logged, or no stop logged: %s", s)
	}
}

// TestServeShutdownCutsOff: a request still running at SHUTDOWN_TIMEOUT
// (here one waiting on a table lock that is never released) is cut off, and
// serve returns then, rather than when the request would have ended.
func TestServeShutdownCutsOff(t *testing.T) {
	t.Parallel()
	dsn := dbtest.URL(t)
	const password = "a long enough password"
	env := map[string]string{"DATABASE_URL": dsn, "HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "warn",
		"SHUTDOWN_TIMEOUT": "1s", "REQUEST_TIMEOUT": "10m", "ADMIN_EMAIL": "boss@example.com", "ADMIN_PASSWORD": password}
	cancel, outR, errOut, done := startServe(t, env)
	defer cancel()
	line, err := bufio.NewReader(outR).ReadString('\n')
	m := regexp.MustCompile(`on (http://\S+) `).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("%v %q %s", err, line, errOut.String())
	}
	go io.Copy(io.Discard, outR)
	base := m[1]
	res, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email": "boss@example.com", "password": "`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tokens)
	res.Body.Close()
	if err != nil || tokens.AccessToken == "" {
		t.Fatalf("login: %v %d", err, res.StatusCode)
	}

	lock, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(context.Background())
	if _, err := lock.Exec(context.Background(), `BEGIN; LOCK TABLE leads IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/leads", nil)
		req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0 // the connection was closed
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	for i := 0; ; i++ {
		var n int
		queryRowSQL(t, dsn, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%LeadList%'`, &n)
		if n > 0 {
			break
		}
		if i == 500 {
			t.Fatal("the request never waited on the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cut off") {
			t.Fatalf("serve: %v", err)
		}
		// The log's last line says so, in the log's format, for a shipper
		// that reads JSON lines only.
		if s := errOut.String(); !strings.Contains(s, `"level":"ERROR","msg":"stopped: requests still running after SHUTDOWN_TIMEOUT (1s) were cut off"`) {
			t.Errorf("no stop logged:\n%s", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop while the request waited")
	}
	t.Logf("serve stopped %v after the signal", time.Since(start))
	// Cut off, and told so with a 503 before the connection closes.
	if code := <-answered; code != http.StatusServiceUnavailable {
		t.Fatalf("the cut-off request: %d (0: no answer)", code)
	}
}

// Under sudo, the trail names the account behind it.
func TestTerminalMetaSudo(t *testing.T) {
	t.Parallel()
	m := terminalMeta("import", func(k string) string {
		if k == "SUDO_USER" {
			return "someone-else"
		}
		return ""
	})
	if !strings.HasPrefix(m.UserAgent, "jmk import (run by someone-else (through sudo as ") || m.IP != "" || m.RequestID != "" {
		t.Fatalf("%+v", m)
	}
}
