package handlers

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
)

// leadListJSON is the 200 response of GET /leads, written by hand instead of
// by the generated ListLeads200JSONResponse. The list is the API's hottest
// endpoint and a page of 50 leads is 50 structs of 37 mostly-pointer fields:
// encoding/json walked them by reflection and was the largest CPU cost of
// the request in our own process (about a fifth of it under 32 connections).
//
// The output is byte for byte what encoding/json's Encoder writes for
// api.LeadList (same field order, escaping, number and time formats,
// trailing newline); TestLeadListJSONMatchesEncodingJSON fills every field
// of api.Lead by reflection and compares, so a field added to the spec fails
// the test until it is added here.
type leadListJSON api.LeadList

// jsonBufs recycles response buffers (a page of 50 is about 50 KB).
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (r leadListJSON) VisitListLeadsResponse(w http.ResponseWriter) error {
	bp := jsonBufs.Get().(*[]byte)
	b, err := appendLeadList((*bp)[:0], api.LeadList(r))
	if err != nil {
		jsonBufs.Put(bp)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	// Known length: one write instead of a chunked body.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	if cap(b) <= 1<<20 { // do not keep the buffer of an unusually big page
		*bp = b
		jsonBufs.Put(bp)
	}
	return err
}

func appendLeadList(b []byte, l api.LeadList) ([]byte, error) {
	var err error
	b = append(b, `{"items":`...)
	if l.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range l.Items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendLead(b, &l.Items[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	b = appendStrPtr(b, l.NextCursor)
	if l.Total != nil { // omitempty
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, *l.Total, 10)
	}
	return append(b, "}\n"...), nil
}

// appendLead writes the fields in api.Lead's declaration order, as
// encoding/json does.
func appendLead(b []byte, l *api.Lead) ([]byte, error) {
	var err error
	b = append(b, `{"age":`...)
	b = appendInt32Ptr(b, l.Age)
	b = append(b, `,"assigned_to":`...)
	b = appendUUIDPtr(b, l.AssignedTo)
	b = append(b, `,"campaign_contacts":`...)
	b = appendInt32Ptr(b, l.CampaignContacts)
	b = append(b, `,"category":`...)
	b = appendStrPtr(b, l.Category)
	b = append(b, `,"cons_conf_idx":`...)
	if b, err = appendFloatPtr(b, l.ConsConfIdx); err != nil {
		return nil, err
	}
	b = append(b, `,"cons_price_idx":`...)
	if b, err = appendFloatPtr(b, l.ConsPriceIdx); err != nil {
		return nil, err
	}
	b = append(b, `,"contact_channel":`...)
	b = appendStrPtr(b, l.ContactChannel)
	b = append(b, `,"contact_count":`...)
	b = strconv.AppendInt(b, int64(l.ContactCount), 10)
	b = append(b, `,"created_at":`...)
	if b, err = appendTime(b, l.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"credit_default":`...)
	b = appendStrPtr(b, l.CreditDefault)
	b = append(b, `,"days_since_previous_contact":`...)
	b = appendInt32Ptr(b, l.DaysSincePreviousContact)
	b = append(b, `,"education":`...)
	b = appendStrPtr(b, l.Education)
	b = append(b, `,"email":`...)
	b = appendStrPtr(b, l.Email)
	b = append(b, `,"emp_var_rate":`...)
	if b, err = appendFloatPtr(b, l.EmpVarRate); err != nil {
		return nil, err
	}
	b = append(b, `,"euribor_3m":`...)
	if b, err = appendFloatPtr(b, l.Euribor3m); err != nil {
		return nil, err
	}
	b = append(b, `,"external_id":`...)
	b = appendStrPtr(b, l.ExternalId)
	b = append(b, `,"housing_loan":`...)
	b = appendStrPtr(b, l.HousingLoan)
	b = append(b, `,"id":`...)
	b = appendUUID(b, l.Id)
	b = append(b, `,"job":`...)
	b = appendStrPtr(b, l.Job)
	b = append(b, `,"last_call_duration_sec":`...)
	b = appendInt32Ptr(b, l.LastCallDurationSec)
	b = append(b, `,"last_contact_month":`...)
	b = appendStrPtr(b, l.LastContactMonth)
	b = append(b, `,"last_contact_weekday":`...)
	b = appendStrPtr(b, l.LastContactWeekday)
	b = append(b, `,"last_contacted_at":`...)
	if b, err = appendTimePtr(b, l.LastContactedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"marital":`...)
	b = appendStrPtr(b, l.Marital)
	b = append(b, `,"model_version":`...)
	b = appendInt32Ptr(b, l.ModelVersion)
	b = append(b, `,"name":`...)
	b = appendString(b, l.Name)
	b = append(b, `,"notes":`...)
	b = appendStrPtr(b, l.Notes)
	b = append(b, `,"nr_employed":`...)
	if b, err = appendFloatPtr(b, l.NrEmployed); err != nil {
		return nil, err
	}
	b = append(b, `,"personal_loan":`...)
	b = appendStrPtr(b, l.PersonalLoan)
	b = append(b, `,"phone":`...)
	b = appendStrPtr(b, l.Phone)
	b = append(b, `,"previous_contacts":`...)
	b = appendInt32Ptr(b, l.PreviousContacts)
	b = append(b, `,"previous_outcome":`...)
	b = appendStrPtr(b, l.PreviousOutcome)
	b = append(b, `,"probability":`...)
	if b, err = appendFloatPtr(b, l.Probability); err != nil {
		return nil, err
	}
	b = append(b, `,"scored_at":`...)
	if b, err = appendTimePtr(b, l.ScoredAt); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	b = appendString(b, l.Status)
	b = append(b, `,"updated_at":`...)
	if b, err = appendTime(b, l.UpdatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(l.Version), 10)
	return append(b, '}'), nil
}

// appendString writes s as a JSON string. Plain printable ASCII (almost
// every value here) is copied as is; anything else goes through
// encoding/json, so that escaping (HTML characters, U+2028, invalid UTF-8)
// stays exactly encoding/json's.
func appendString[T ~string](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s)) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStrPtr[T ~string](b []byte, s *T) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendInt32Ptr(b []byte, v *int32) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*v), 10)
}

// appendFloatPtr formats a float64 as encoding/json does (its floatEncoder):
// 'f' notation, 'e' for very small or large magnitudes with a one-digit
// negative exponent cleaned up; NaN and infinities are an error.
func appendFloatPtr(b []byte, v *float64) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	f := *v
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendTime is time.Time's MarshalJSON (strict RFC 3339 with nanoseconds)
// without its allocation.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err // a year outside 0-9999, as MarshalJSON refuses it
	}
	return append(b, '"'), nil
}

func appendTimePtr(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return appendTime(b, *t)
}

// appendUUID writes the canonical lower-case form, as uuid.UUID's
// MarshalText does.
func appendUUID(b []byte, u uuid.UUID) []byte {
	var s [38]byte
	s[0], s[37] = '"', '"'
	hex.Encode(s[1:9], u[0:4])
	s[9] = '-'
	hex.Encode(s[10:14], u[4:6])
	s[14] = '-'
	hex.Encode(s[15:19], u[6:8])
	s[19] = '-'
	hex.Encode(s[20:24], u[8:10])
	s[24] = '-'
	hex.Encode(s[25:37], u[10:])
	return append(b, s[:]...)
}

func appendUUIDPtr(b []byte, u *uuid.UUID) []byte {
	if u == nil {
		return append(b, "null"...)
	}
	return appendUUID(b, *u)
}
