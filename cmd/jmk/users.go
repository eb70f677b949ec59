package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
	"github.com/jmksales/jmk/server/textrules"
)

func cmdUsers(ctx context.Context, e env) error {
	fs := newFlags(e, "users create", "--email E --name N [--role admin|sales]",
		"Creates a user. The password comes from JMK_PASSWORD, else from a prompt on a terminal (typed twice, not\nshown), else from the first line of standard input; never from the command line.")
	email := fs.String("email", "", "e-mail (login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", auth.RoleSales, "admin or sales")
	if len(e.args) == 0 || e.args[0] != "create" {
		if len(e.args) > 0 && isHelp(e.args[0]) {
			fs.usage(e.stdout)
			return nil
		}
		if len(e.args) > 0 {
			// Listing, changing and deactivating users is the API's
			// (admin): the command line only makes the first ones.
			return fs.fail(fmt.Errorf("users: unknown subcommand %q: the only one is create (list and change users through /api/v1/users)", e.args[0]))
		}
		return fs.fail(errors.New("users: expected the subcommand create"))
	}
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	switch {
	case *email == "" || *name == "":
		return fs.fail(errors.New("users create: --email and --name are required"))
	case *role != auth.RoleAdmin && *role != auth.RoleSales:
		return fs.fail(fmt.Errorf("users create: --role %q must be admin or sales", *role))
	}
	// The rules of POST /users (the spec's Email and PersonName).
	addr := strings.TrimSpace(*email)
	if !auth.IsAddress(addr) {
		return fs.fail(fmt.Errorf("users create: --email %q is not "+auth.AnAddress, *email))
	}
	userName := strings.TrimSpace(*name) // stored trimmed, as by the API
	switch problem := textrules.NameProblem(userName); {
	case userName == "":
		return fs.fail(errors.New("users create: --name must not be blank"))
	case !textrules.IsText(userName):
		return fs.fail(errors.New("users create: --name must be UTF-8 text without NUL characters"))
	case problem != "":
		return fs.fail(fmt.Errorf("users create: --name %s (it must hold a letter or digit, on one line)", problem))
	}
	// The database first: a wrong DATABASE_URL must not cost a password
	// typed twice, nor create a database for a user nobody will find
	// (jmk migrate or jmk serve make a new one).
	st, closeDB, err := openExistingStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	pw, err := readPassword(ctx, e)
	switch {
	case err != nil:
		return fmt.Errorf("users create: %w", err)
	case pw == "":
		return errors.New("users create: the password is empty: type it at the prompt, set JMK_PASSWORD, or write it as the first line of standard input")
	case !textrules.IsText(pw):
		// The API refuses such a password at login, so the user could
		// never sign in (a terminal or file in Latin-1, say).
		return errors.New("users create: the password must be UTF-8 text without NUL characters, as a login sends it; nothing was created")
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("users create: %w", err)
	}
	u, err := st.UserCreate(ctx, audit.Actor{Name: "jmk users create"}, store.NewUser{
		Name: userName, Email: strings.ToLower(addr), PasswordHash: hash, Role: *role})
	if err != nil {
		return fmt.Errorf("users create: %w", err)
	}
	fmt.Fprintf(e.stdout, "created %s user %s <%s> (%s)\n", u.Role, u.Name, u.Email, u.ID)
	// jmk serve makes the first admin only in a database without users:
	// after this one, nobody could manage users through the API.
	if n, err := st.UserCount(ctx); err == nil && n == 1 && u.Role != auth.RoleAdmin {
		fmt.Fprintln(e.stderr, "note: this is the first user and there is no admin; create one with jmk users create --role admin (jmk serve makes one only in a database without users)")
	}
	return nil
}
