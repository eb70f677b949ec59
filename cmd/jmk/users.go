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
	fs := newFlags(e, "users create", "--email E --name N [--role admin|sales]",
		"Creates a user. The password comes from JMK_PASSWORD or standard input, never the command line.")
	email := fs.String("email", "", "e-mail (login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", auth.RoleSales, "admin or sales")
	if len(e.args) == 0 || e.args[0] != "create" {
		if len(e.args) > 0 && isHelp(e.args[0]) {
			fs.usage(e.stdout)
			return nil
		}
		return fs.fail(errors.New("users: expected the subcommand create"))
	}
	if help, err := fs.parse(e.args[1:], 0); help || err != nil {
		return err
	}
	if *email == "" || *name == "" || (*role != auth.RoleAdmin && *role != auth.RoleSales) {
		return fs.fail(errors.New("users create: --email, --name and a valid --role are required"))
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
