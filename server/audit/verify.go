package audit

import (
	"bytes"
	"fmt"
)

// Sealed is a stored event with its seal (nil hashes when unsealed).
type Sealed struct {
	Event    Stored
	PrevHash []byte
	Hash     []byte
}

// Verifier checks the chain incrementally, one event at a time in id order,
// so that a trail of any length is verified in constant memory.
type Verifier struct {
	prev        []byte
	sawUnsealed bool
	unsealedID  int64

	Checked  int64 // sealed events checked
	Unsealed int64 // events not yet sealed (only allowed after the last sealed one)
	BrokenID int64 // first event where the chain breaks; 0 while intact
	Reason   string
}

// NewVerifier starts at the genesis hash.
func NewVerifier() *Verifier { return &Verifier{prev: Genesis} }

// Add checks the next event. It returns false once the chain is broken.
func (v *Verifier) Add(s Sealed) bool {
	if v.BrokenID != 0 {
		return false
	}
	if s.Hash == nil {
		if !v.sawUnsealed {
			v.sawUnsealed, v.unsealedID = true, s.Event.ID
		}
		v.Unsealed++
		return true
	}
	switch {
	case v.sawUnsealed:
		// The sealer links in id order, so a sealed event after an unsealed
		// one means a seal was removed.
		v.fail(v.unsealedID, "event is unsealed but a later event is sealed (its seal was removed)")
	case !bytes.Equal(s.PrevHash, v.prev):
		v.fail(s.Event.ID, "the event before it was changed, removed or reordered (previous hash does not match)")
	case !bytes.Equal(Link(v.prev, s.Event), s.Hash):
		v.fail(s.Event.ID, "the event's content does not match its seal")
	default:
		v.prev = s.Hash
		v.Checked++
		return true
	}
	return false
}

// OK reports whether no break was found.
func (v *Verifier) OK() bool { return v.BrokenID == 0 }

func (v *Verifier) fail(id int64, reason string) {
	v.BrokenID = id
	v.Reason = fmt.Sprintf("event %d: %s", id, reason)
}
