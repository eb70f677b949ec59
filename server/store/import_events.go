package store

// The audit events of an import.

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
)

// importedFields are the Lead fields an import can set: those its per-lead
// events compare.
var importedFields = append([]string{"external_id", "name", "phone", "email", "status", "notes", "assigned_to",
	"probability", "category"}, leadcsv.ScoringInputNames()...)

// leadEvents writes a lead.update event for every lead the import changed,
// in one statement (queries/import.sql, ImportLeadEvents).
func leadEvents(ctx context.Context, tx *Tx, actor audit.Actor, importID uuid.UUID) error {
	m := storedMeta(ctx)
	_, err := tx.Q.ImportLeadEvents(ctx, db.ImportLeadEventsParams{
		ActorID: actor.ID, ActorName: actor.Name, RequestID: m.requestID, Ip: m.ip, UserAgent: m.userAgent,
		ImportID: importID.String(), Fields: importedFields,
	})
	return err
}

func importEvent(actor audit.Actor, opts ImportOptions, res ImportResult) audit.Event {
	source := opts.Source
	if source == "" {
		source = "a CSV file"
	}
	outcome := "use"
	if opts.IgnoreOutcome {
		outcome = "ignore"
	}
	return audit.Event{
		Actor: actor, Action: "import.leads", EntityType: "import", EntityID: res.ID.String(),
		Summary: fmt.Sprintf("%s imported leads from %s: %d new, %d updated, %d unchanged, %d rejected",
			actor.Name, source, res.Inserted, res.Updated, res.Unchanged, res.RejectedRows()),
		Changes: map[string]audit.Change{
			"source":    {To: source},
			"rows":      {To: res.Rows},
			"inserted":  {To: res.Inserted},
			"updated":   {To: res.Updated},
			"unchanged": {To: res.Unchanged},
			"rejected":  {To: res.RejectedRows()},
			"outcome":   {To: outcome},
		},
	}
}
