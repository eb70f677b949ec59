package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sealed is a stored event with its seal (nil hashes when unsealed).
type Sealed struct {
	Event    Stored
	PrevHash []byte
	Hash     []byte
}

// Anchor is a seal recorded outside the database (a verification's head,
// kept by whoever watches the trail). Whoever can write to the database
// past its triggers can delete the seals from some event on, change what
// follows and have it sealed again; the chain alone cannot show that, but
// the anchored event's seal no longer matches.
type Anchor struct {
	ID   int64
	Hash []byte
}

// String is the anchor as ParseAnchor reads it: the event id, a colon and
// the seal in hexadecimal.
func (a Anchor) String() string {
	return strconv.FormatInt(a.ID, 10) + ":" + hex.EncodeToString(a.Hash)
}

// ParseAnchor reads an anchor written by String.
func ParseAnchor(s string) (*Anchor, error) {
	id, h, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n < 1 {
		return nil, errors.New("an anchor is an event id, a colon and its seal, as verify prints its head (1234:3f1c…)")
	}
	return NewAnchor(n, h)
}

// errAnchorSeal is NewAnchor's error for a seal that is not 64
// hexadecimal digits.
var errAnchorSeal = errors.New("an anchor's seal is 64 hexadecimal digits")

// NewAnchor is the anchor of event id with the seal sealHex (hexadecimal).
func NewAnchor(id int64, sealHex string) (*Anchor, error) {
	b, err := hex.DecodeString(sealHex)
	if err != nil || len(b) != 32 {
		return nil, errAnchorSeal
	}
	return &Anchor{ID: id, Hash: b}, nil
}

// Verifier checks the chain incrementally, one event at a time in id order,
// so that a trail of any length is verified in constant memory.
type Verifier struct {
	prev        []byte
	sawUnsealed bool
	unsealedID  int64
	anchor      *Anchor
	anchorSeen  bool

	// HeadID is the last sealed event checked (0 before any), and
	// HeadHash its seal: the anchor to record for later verifications.
	HeadID   int64
	HeadHash []byte

	Checked  int64 // sealed events checked
	Unsealed int64 // events not yet sealed (only allowed after the last sealed one)
	BrokenID int64 // first event where the chain breaks; 0 while intact
	Reason   string
}

// NewVerifier starts at the genesis hash; a non-nil anchor must be met on
// the way, with the same seal.
func NewVerifier(anchor *Anchor) *Verifier { return &Verifier{prev: Genesis(), anchor: anchor} }

// Add checks the next event. It returns false once the chain is broken.
func (v *Verifier) Add(s Sealed) bool {
	if v.BrokenID != 0 {
		return false
	}
	if a := v.anchor; a != nil && !v.anchorSeen && s.Event.ID >= a.ID {
		v.anchorSeen = true
		switch {
		case s.Event.ID > a.ID:
			v.fail(a.ID, "the anchored event is missing")
			return false
		case s.Hash == nil:
			v.fail(a.ID, "the anchored event is no longer sealed (its seal was removed)")
			return false
		case !bytes.Equal(s.Hash, a.Hash):
			v.fail(a.ID, "the event's seal differs from the anchor (it or an earlier event was changed and sealed again)")
			return false
		}
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
		// one means a seal was removed, or the unsealed event was inserted
		// with an id chosen below the sealed one.
		v.fail(v.unsealedID, "the event is not sealed but a later one is (its seal was removed, "+
			"or it was inserted with an id below an event already sealed)")
	case !bytes.Equal(s.PrevHash, v.prev):
		v.fail(s.Event.ID, "the event before it was changed, removed or reordered (previous hash does not match)")
	case !bytes.Equal(Link(v.prev, s.Event), s.Hash):
		v.fail(s.Event.ID, "the event's content does not match its seal (the event or its seal was changed)")
	default:
		v.prev = s.Hash
		v.HeadID, v.HeadHash = s.Event.ID, s.Hash
		v.Checked++
		return true
	}
	return false
}

// Finish is called after the last event: an anchor beyond it is a break.
func (v *Verifier) Finish() {
	if a := v.anchor; a != nil && !v.anchorSeen && v.BrokenID == 0 {
		v.fail(a.ID, "the anchored event is missing")
	}
}

// OK reports whether no break was found.
func (v *Verifier) OK() bool { return v.BrokenID == 0 }

func (v *Verifier) fail(id int64, reason string) {
	v.BrokenID = id
	v.Reason = fmt.Sprintf("event %d: %s", id, reason)
}
