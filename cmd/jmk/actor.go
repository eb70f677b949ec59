package main

import (
	"os"
	"os/user"
	"strconv"

	"github.com/jmksales/jmk/server/audit"
)

// terminalMeta is what the audit trail records as the request of a command
// run from a terminal, which has no API user or client: the command, and
// the operating-system account (the one behind sudo too) and host it ran
// under, so that an auditor can tell who created an admin or activated a
// model from a shell. It is the events' user_agent, which admins see and
// sales only on their own events.
func terminalMeta(command string, getenv func(string) string) audit.Meta {
	who := "uid " + strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	if s := getenv("SUDO_USER"); s != "" && s != who {
		who = s + " (through sudo as " + who + ")"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "an unnamed host"
	}
	return audit.Meta{UserAgent: "jmk " + command + " (run by " + who + " on " + host + ")"}
}
