package domain

import (
	"errors"
	"fmt"
)

// Error codes. The api package holds the only table from code to HTTP status.
const (
	ECONFLICT     = "conflict"       // the aggregate has moved on since the caller looked (If-Match, concurrent writer)
	EINTERNAL     = "internal"       // a bug or an infrastructure failure; the only code that is logged
	EINVALID      = "invalid"        // malformed input: a field is missing, of the wrong type or format
	ENOTFOUND     = "not_found"      // the tenant or aggregate does not exist
	ERULE         = "rule_violation" // well-formed, but the ledger's rules refuse it
	EUNAVAILABLE  = "unavailable"    // the log cannot be reached now; the caller may retry
	EUNAUTHORIZED = "unauthorized"   // no credential, or one that is forged, expired or revoked
	EFORBIDDEN    = "forbidden"      // the credential is good, but its role or organ may not do this
	ELIMIT        = "rate_limited"   // too many requests with one credential; the caller may retry later
)

// Error is the one error type of takt. Field names the input field at fault, in JSON path form
// ("decision.meeting_date", "indicators[1].targets[0].value"), and Rule the rule it broke
// ("required", "date", "open_period", "takt.time_bound"), so a client can act on it.
type Error struct {
	Code    string
	Field   string
	Rule    string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("takt error: code=%s field=%s rule=%s message=%s", e.Code, e.Field, e.Rule, e.Message)
	}
	return fmt.Sprintf("takt error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error for malformed input in field, breaking rule.
func Invalid(field, rule, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// Violation returns an ERULE error: the input is well formed but the ledger's rule refuses it.
func Violation(field, rule, format string, args ...any) *Error {
	return &Error{Code: ERULE, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error naming the field that pointed at nothing.
func NotFound(field, format string, args ...any) *Error {
	return &Error{Code: ENOTFOUND, Field: field, Rule: "exists", Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns an EFORBIDDEN error naming the field whose value the principal may not act on.
func Forbidden(field, rule, format string, args ...any) *Error {
	return &Error{Code: EFORBIDDEN, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: "" for nil, the code of an *Error in its chain, else EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err; internal errors get a generic one, so that no
// detail of the infrastructure leaks to a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
