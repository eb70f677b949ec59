package main

import (
	"os"
	"os/user"
	"strconv"

	"github.com/jmksales/jmk/server/audit"
)

// terminalActor is who the audit trail records for a command run from a
// terminal, which has no API user: the command, and the operating-system
// account and host it ran under, so that an auditor can tell who created an
// admin or activated a model from a shell.
func terminalActor(command string) audit.Actor {
	who := "uid " + strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "an unnamed host"
	}
	return audit.Actor{Name: command + " (run by " + who + " on " + host + ")"}
}
