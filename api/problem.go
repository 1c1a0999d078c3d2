package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/taktledger/takt/domain"
)

// eMethod is the one code of the api's own: a path that exists, asked with a method it does not take.
const eMethod = "method_not_allowed"

// statuses is the only table from error codes to HTTP statuses.
var statuses = map[string]int{
	domain.EINVALID:      http.StatusBadRequest,
	domain.ENOTFOUND:     http.StatusNotFound,
	domain.ECONFLICT:     http.StatusConflict,
	domain.ERULE:         http.StatusUnprocessableEntity,
	domain.EUNAVAILABLE:  http.StatusServiceUnavailable,
	domain.EINTERNAL:     http.StatusInternalServerError,
	domain.EUNAUTHORIZED: http.StatusUnauthorized,
	domain.EFORBIDDEN:    http.StatusForbidden,
	domain.ELIMIT:        http.StatusTooManyRequests,
	eMethod:              http.StatusMethodNotAllowed,
}

// Problem is an RFC 9457 problem detail, with takt's code, and the field and rule at fault.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// problem answers err as problem+json. Only EINTERNAL is logged: every other code is the client's
// to act on, and its detail says how.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	code := domain.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		code, status = domain.EINTERNAL, http.StatusInternalServerError
	}
	if code == domain.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := Problem{Type: "https://takt.se/problems/" + code, Title: http.StatusText(status), Status: status,
		Detail: domain.ErrorMessage(err), Code: code, Instance: r.URL.Path}
	var e *domain.Error
	if errors.As(err, &e) && code != domain.EINTERNAL {
		p.Field, p.Rule = e.Field, e.Rule
		if code == domain.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", challenge(e))
		}
	}
	if code == domain.EUNAVAILABLE {
		// Not yet, or not now: a projection catching up, a server starting or stopping.
		w.Header().Set("Retry-After", "1")
	}
	if code == domain.EINTERNAL {
		p.Detail = "Internal error."
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}
