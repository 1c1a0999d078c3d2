package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/taktledger/takt/domain"
)

// statuses is the only table from error codes to HTTP statuses.
var statuses = map[string]int{
	domain.EINVALID:     http.StatusBadRequest,
	domain.ENOTFOUND:    http.StatusNotFound,
	domain.ECONFLICT:    http.StatusConflict,
	domain.ERULE:        http.StatusUnprocessableEntity,
	domain.EUNAVAILABLE: http.StatusServiceUnavailable,
	domain.EINTERNAL:    http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem detail, with takt's code, field and rule.
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

func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	code := domain.ErrorCode(err)
	status := statuses[code]
	if code == domain.EINTERNAL {
		s.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := Problem{Type: "https://takt.se/problems/" + code, Title: http.StatusText(status), Status: status,
		Detail: domain.ErrorMessage(err), Code: code, Instance: r.URL.Path}
	var e *domain.Error
	if errors.As(err, &e) {
		p.Field, p.Rule = e.Field, e.Rule
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}
