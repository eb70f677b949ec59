package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// The demo data (README, Demo data). Everything is derived from demoSeed,
// so two seeds of empty databases give the same leads, people and contacts
// (ids and timestamps aside).
const (
	demoSeed = 20240601
	// Of every demoHistoryOf UCI rows, spread evenly over the file,
	// demoHistoryOf - demoOpenOf become closed history (85 %) and the rest
	// open leads. Spread rather than the oldest ones: the campaign's later
	// months convert far better, and a model trained on the early months
	// alone would rank today's open leads poorly.
	demoHistoryOf = 20
	demoOpenOf    = 3
	// demoHistoryDays spreads the history's closing dates over that many
	// past days, so the leaderboard has data for any recent window.
	demoHistoryDays = 90
	// demoAssignedOpen is the share of open leads assigned to a seller.
	demoAssignedOpen = 0.6
	// demoContactedLeads open assigned leads get one to three contacts.
	demoContactedLeads = 200
	// demoFollowUp is the outcome that leaves a lead in follow_up.
	demoFollowUp = "Asked to be called back next week"
	// demoExternalIDPrefix starts the demo leads' external ids, followed by
	// the line of the UCI file.
	demoExternalIDPrefix = "uci-"
)

// demoSellers are the demo sales users; see demoPassword.
var demoSellers = []struct{ name, email string }{
	{"Ana Sousa", "sales1@example.com"},
	{"Bruno Carvalho", "sales2@example.com"},
	{"Carla Mendes", "sales3@example.com"},
	{"Diogo Ferreira", "sales4@example.com"},
}

// demoPassword is the password of demoSellers[i]: demo-password-1 for the
// first.
func demoPassword(i int) string { return "demo-password-" + strconv.Itoa(i+1) }

func cmdSeed(ctx context.Context, e env) error {
	fs := newFlags(e, "seed", "--demo [--if-empty]",
		"Loads the demo data into a database without leads: sales users, the UCI dataset as leads,\n"+
			"contacts, and a trained, active model. A database with leads is refused (--if-empty: left alone),\n"+
			"and so, even with --if-empty, is one where an earlier demo seed stopped midway.")
	demo := fs.Bool("demo", false, "load the demo data")
	ifEmpty := fs.Bool("if-empty", false, "when leads exist, do nothing and succeed instead of failing")
	if help, err := fs.parse(e.args, 0); help || err != nil {
		return err
	}
	if !*demo {
		return fs.fail(errors.New("seed: --demo is the only seed there is"))
	}
	// The demo sellers' passwords are in the README: such logins, able to
	// read every lead, have no place next to real data.
	cfg, err := e.config(server.LoadToolConfig)
	if err != nil {
		return err
	}
	if cfg.Env == "production" {
		return errors.New("seed: the demo data is refused with APP_ENV=production: its sales logins have published " +
			"passwords; seed a development database instead")
	}
	st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	unlock, err := st.SeedLock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// Seeding again would overwrite people's work on the demo leads (the
	// import upserts them by external id) and add the contacts twice.
	exists, err := st.SeedLeadsExist(ctx)
	if err != nil {
		return err
	}
	if exists {
		// An interrupted seed cannot be finished (its contacts and model
		// follow from the import's draws), and --if-empty must not let it
		// pass for a seeded database.
		unfinished, err := st.SeedUnfinished(ctx, demoExternalIDPrefix+"2") // line 2: the first row
		if err != nil {
			return err
		}
		if unfinished {
			return errors.New("seed: an earlier demo seed stopped before it finished (its leads are here, " +
				"no model is); drop the database and seed again")
		}
	}
	switch {
	case exists && *ifEmpty:
		fmt.Fprintf(e.stdout, "seed: leads exist already; nothing seeded (--if-empty). If they are the demo's, "+
			"its logins are in the README (Demo data): %s / %s, ...\n", demoSellers[0].email, demoPassword(0))
		return nil
	case exists:
		return errors.New("seed: the database already holds leads; the demo seed loads only into one without " +
			"(--if-empty makes this a no-op; to start over, drop the database)")
	}
	return seedDemo(ctx, cfg, st, e.stdout)
}

// seedDemo loads the demo data: the first admin if there is no user yet
// (server.BootstrapAdmin, from ADMIN_EMAIL/ADMIN_PASSWORD or with a password
// printed once), the demo sellers, the UCI dataset through the import
// (store.LeadImport), contacts on open leads, and a model (seedModel).
func seedDemo(ctx context.Context, cfg server.Config, st *store.Store, out io.Writer) error {
	start := time.Now()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := demoAddressesFree(ctx, cfg, st); err != nil {
		return err
	}
	if err := server.BootstrapAdmin(ctx, st, cfg, log, out); err != nil {
		return err
	}
	admin, err := st.SeedAdmin(ctx)
	if err != nil {
		return fmt.Errorf("seed: no active admin to act as: %w", err)
	}
	actor := audit.Actor{ID: &admin.ID, Name: admin.Name + " (jmk seed)"}
	sellers, created, err := seedSellers(ctx, st, actor)
	if err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(demoSeed, demoSeed))
	now := time.Now().UTC()
	var (
		contacts []openLead
		history  int64
	)
	amend := func(l *store.ImportLead) {
		ext := demoExternalIDPrefix + strconv.Itoa(l.Line)
		name, phone, email := data.Person(rng, l.Line)
		l.ExternalID, l.Name, l.Phone, l.Email = &ext, &name, &phone, email
		if l.Line%demoHistoryOf >= demoOpenOf {
			// Closed history: y already made it success or failed.
			history++
			u := sellers[rng.IntN(len(sellers))].ID
			closed := now.Add(-time.Duration(rng.Int64N(int64(demoHistoryDays * 24 * time.Hour))))
			created := closed.Add(-time.Duration(1+rng.IntN(45)) * 24 * time.Hour)
			l.AssignedTo, l.ClosedAt, l.CreatedAt = &u, &closed, &created
			return
		}
		l.Status = "new" // y is what happened next: an open lead does not know it yet
		created := now.Add(-time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
		l.CreatedAt = &created
		if rng.Float64() < demoAssignedOpen {
			u := sellers[rng.IntN(len(sellers))].ID
			l.AssignedTo = &u
			contacts = append(contacts, openLead{ext, u, created})
		}
	}
	r, err := data.UCIBankMarketing()
	if err != nil {
		return err
	}
	defer r.Close()
	res, err := st.LeadImport(ctx, actor, r, store.ImportOptions{Source: "the demo seed (UCI Bank Marketing)", Amend: amend})
	if err != nil {
		return fmt.Errorf("seed: import: %w", err)
	}
	// From here on the leads are in, and a seed cannot be finished later.
	const unfinished = "; the demo leads are in and the seed cannot be finished: drop the database and seed again"
	acts := demoActivities(rng, contacts, now)
	nActs, nLeads, err := st.SeedActivities(ctx, actor, acts, demoFollowUp)
	if err != nil {
		return fmt.Errorf("seed: activities: %w"+unfinished, err)
	}
	if err := seedModel(ctx, st, actor, out); err != nil {
		return fmt.Errorf("seed: model: %w"+unfinished, err)
	}

	fmt.Fprintf(out, "Demo data loaded in %s: %d leads (%d closed history, %d open), %d contacts on %d leads.\n",
		time.Since(start).Round(time.Millisecond), res.Inserted+res.Updated, history,
		res.Inserted+res.Updated-history, nActs, nLeads)
	fmt.Fprintf(out, "Admin: %s\n", admin.Email)
	if len(created) > 0 {
		fmt.Fprintln(out, "Demo sales users (demo passwords, shown only this once; never use them outside a demo):")
		for _, i := range created {
			fmt.Fprintf(out, "  %-20s %-16s password %s\n", demoSellers[i].email, demoSellers[i].name, demoPassword(i))
		}
	}
	return nil
}

// demoAddressesFree refuses a seed whose demo sellers' addresses belong to
// an admin or a deactivated user, or to the first admin it would create
// (ADMIN_EMAIL): the seed gives each seller open leads and contacts, which
// only an active sales user may hold. It runs before anything is written.
func demoAddressesFree(ctx context.Context, cfg server.Config, st *store.Store) error {
	for _, s := range demoSellers {
		if strings.EqualFold(strings.TrimSpace(cfg.AdminEmail), s.email) {
			return fmt.Errorf("seed: ADMIN_EMAIL is %s, a demo seller's address: choose another", s.email)
		}
		u, err := st.SeedUserByEmail(ctx, s.email)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
		case err != nil:
			return fmt.Errorf("seed: sales users: %w", err)
		case u.Role != auth.RoleSales || !u.Active:
			what := "an admin"
			if u.Role == auth.RoleSales {
				what = "a deactivated user"
			}
			return fmt.Errorf("seed: %s is %s's address, and the demo gives that seller open leads "+
				"and contacts; change that user's e-mail, or seed another database", s.email, what)
		}
	}
	return nil
}

// seedSellers creates the demo sales users that do not exist yet (bcrypt is
// slow on purpose: they are hashed in parallel) and returns all of them,
// with the indexes of those it created.
func seedSellers(ctx context.Context, st *store.Store, actor audit.Actor) ([]db.User, []int, error) {
	users := make([]db.User, len(demoSellers))
	fresh := make([]bool, len(demoSellers))
	errs := make([]error, len(demoSellers))
	var wg sync.WaitGroup
	for i, s := range demoSellers {
		wg.Go(func() {
			hash, err := auth.HashPassword(demoPassword(i))
			if err != nil {
				errs[i] = err
				return
			}
			users[i], err = st.UserCreate(ctx, actor, store.NewUser{Name: s.name, Email: s.email, PasswordHash: hash, Role: auth.RoleSales})
			if errors.Is(err, apperr.ErrConflict) {
				users[i], err = st.SeedUserByEmail(ctx, s.email)
			} else {
				fresh[i] = err == nil
			}
			errs[i] = err
		})
	}
	wg.Wait()
	// One cause, not one line per user: they fail alike (an interrupt, the
	// database gone).
	for _, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("seed: sales users: %w", err)
		}
	}
	var created []int
	for i, f := range fresh {
		if f {
			created = append(created, i)
		}
	}
	return users, created, nil
}

// seedModel trains a scoring model on the seeded history (the default,
// realistic options: no call duration) and activates it, so every lead is
// scored Hot / Warm / Cold from the start.
func seedModel(ctx context.Context, st *store.Store, actor audit.Actor, out io.Writer) error {
	res, err := st.ModelTrain(ctx, scoring.Options{})
	if err != nil {
		return err
	}
	info, err := st.ModelSave(ctx, actor, res.Model, true)
	if err != nil {
		return err
	}
	m := res.Model.Metrics
	fmt.Fprintf(out, "Model v%d trained on %d closed leads and activated (holdout AUC %.3f, Brier %.4f).\n",
		info.Version, m.NTrain+m.NTest, m.AUC, m.Brier)
	return nil
}

// openLead is an assigned open lead that may get demo contacts.
type openLead struct {
	externalID string
	seller     uuid.UUID
	created    time.Time
}

var demoOutcomes = []struct {
	kind, outcome string
	call          bool
}{
	{"call", "No answer", true},
	{"call", "Voicemail, left a message", true},
	{"call", "Interested; sending the term deposit details", true},
	{"call", demoFollowUp, true},
	{"call", "Not interested right now", true},
	{"whatsapp", "Sent the rates; read, no reply yet", false},
	{"email", "Sent the brochure and simulation", false},
	{"email", "Replied with questions about early withdrawal", false},
}

// demoActivities gives demoContactedLeads of the open leads one to three
// contacts each by their seller, after the lead was created and within the
// last two weeks.
func demoActivities(rng *rand.Rand, leads []openLead, now time.Time) []store.DemoActivity {
	rng.Shuffle(len(leads), func(i, j int) { leads[i], leads[j] = leads[j], leads[i] })
	leads = leads[:min(len(leads), demoContactedLeads)]
	var acts []store.DemoActivity
	for _, l := range leads {
		at := l.created
		if twoWeeks := now.Add(-14 * 24 * time.Hour); at.Before(twoWeeks) {
			at = twoWeeks
		}
		for range 1 + rng.IntN(3) {
			at = at.Add(time.Duration(rng.Int64N(int64(now.Sub(at)/2) + 1)))
			o := demoOutcomes[rng.IntN(len(demoOutcomes))]
			a := store.DemoActivity{ExternalID: l.externalID, UserID: l.seller, Kind: o.kind, Outcome: o.outcome, OccurredAt: at}
			if o.call {
				d := int32(20 + rng.IntN(600))
				a.DurationSec = &d
			}
			acts = append(acts, a)
		}
	}
	return acts
}
