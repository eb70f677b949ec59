package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
)

func cmdUsers(ctx context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] != "create" {
		fmt.Fprintln(e.stderr, "Usage: jmk users create --email E --name N --role admin|sales (password from JMK_PASSWORD or stdin)")
		if len(e.args) > 0 && (e.args[0] == "--help" || e.args[0] == "-h") {
			return nil
		}
		return errors.New("users: expected the subcommand create")
	}
	fs := newFlags("users create", "--email E --name N [--role sales]", e.stderr)
	email := fs.String("email", "", "e-mail (login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", auth.RoleSales, "admin or sales")
	if help, err := parse(fs, e.args[1:]); help || err != nil {
		return err
	}
	if *email == "" || *name == "" || (*role != auth.RoleAdmin && *role != auth.RoleSales) {
		fs.Usage()
		return errors.New("users create: --email, --name and a valid --role are required")
	}
	// The password never goes on the command line, where ps and shell
	// history would keep it.
	pw := e.getenv("JMK_PASSWORD")
	if pw == "" {
		buf := make([]byte, 256)
		n, _ := e.stdin.Read(buf)
		pw = strings.TrimRight(string(buf[:n]), "\r\n")
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	_, st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := st.UserCreate(ctx, audit.Actor{Name: "jmk users create"}, store.NewUser{
		Name: *name, Email: strings.ToLower(strings.TrimSpace(*email)), PasswordHash: hash, Role: *role})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s user %s <%s> (%s)\n", u.Role, u.Name, u.Email, u.ID)
	return nil
}
